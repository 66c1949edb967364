// The models that ship with ganvas: one line each.
#include "ganvas/models/colorizer/colorizer_model.h"
#include "ganvas/models/pix2pix/pix2pix_model.h"
#include "ganvas/models/registry.h"
#include "ganvas/models/sketchygan/sketchygan_model.h"
#include "ganvas/models/style2paints/style2paints_model.h"

namespace ganvas {

std::vector<ModelDescriptor> builtin_models() {
    std::vector<ModelDescriptor> models;
    models.push_back(colorizer_descriptor());
    models.push_back(pix2pix_descriptor());
    models.push_back(sketchygan_descriptor());
    models.push_back(style2paints_descriptor());
    return models;
}

}  // namespace ganvas
