#include "ganvas/models/style2paints/options.h"

#include "ganvas/core/error.h"

namespace ganvas {

void Style2PaintsOptions::validate() const {
    if (image_size < 32 || image_size % 16 != 0) {
        throw UsageError("style2paints --size: a multiple of 16, at least 32, got " + std::to_string(image_size));
    }
    if (ngf < 4 || ngf > 256) throw UsageError("style2paints option ngf must be in [4, 256]");
    if (ndf < 4 || ndf > 256) throw UsageError("style2paints option ndf must be in [4, 256]");
    if (middle_blocks < 1 || middle_blocks > 16) throw UsageError("style2paints option middle_blocks must be in [1, 16]");
    if (hint_width < 1 || hint_width > 16384) throw UsageError("style2paints option hint_width must be in [1, 16384]");
    check_one_of("style2paints option style_encoder", style_encoder, {"vgg19_stats", "vgg19_fc1", "vgg16_fc1"});
    check_one_of("style2paints option lineart", lineart, {"auto", "pairs", "xdog"});
    if (style_size != 0 && (style_size < 32 || style_size > 1024)) {
        throw UsageError("style2paints option style_size must be 0 or in [32, 1024]");
    }
    for (double w : {lambda_l1, guide1_weight, guide2_weight, lambda_style}) {
        if (!(w >= 0)) throw UsageError("style2paints loss weights must be non-negative");
    }
    if (!(lr > 0)) throw UsageError("--lr must be positive");
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw UsageError("Adam betas must be in [0, 1)");
    if (bn_batches < 0 || bn_batches > 10000) throw UsageError("style2paints option bn_batches must be in [0, 10000]");
    if (load_size < image_size) throw UsageError("style2paints option load_size must be at least --size");
}

nlohmann::json Style2PaintsOptions::to_json() const {
    return {{"image_size", image_size},       {"ngf", ngf},
            {"ndf", ndf},                     {"middle_blocks", middle_blocks},
            {"hint_width", hint_width},       {"guides", guides},
            {"style_encoder", style_encoder}, {"style_weights", style_weights},
            {"style_size", style_size},       {"lambda_l1", lambda_l1},
            {"guide1_weight", guide1_weight}, {"guide2_weight", guide2_weight},
            {"lambda_style", lambda_style},   {"lr", lr},
            {"beta1", beta1},                 {"beta2", beta2},
            {"load_size", load_size},         {"flip", flip},
            {"lineart", lineart},             {"style_augment", style_augment},
            {"test_train_mode", test_train_mode}, {"bn_batches", bn_batches}};
}

const std::vector<OptionSpec>& style2paints_option_specs() {
    static const std::vector<OptionSpec> specs = specs_from_defaults(
        Style2PaintsOptions().to_json(),
        {{"image_size", "training resolution, a multiple of 16 (>= 32)", "--size"},
         {"ngf", "generator width at full resolution"},
         {"ndf", "discriminator width of its first layer"},
         {"middle_blocks", "residual blocks at 1/16 resolution that receive the style hint"},
         {"hint_width", "width of the dense layer between style features and middle layers (paper: 2048)"},
         {"guides", "the two guide decoders and their losses (false: the lazy-layer ablation)"},
         {"style_encoder", "vgg19_stats (shipped relu1_1-3_1 weights), vgg19_fc1 or vgg16_fc1 (torchvision)"},
         {"style_weights", "the style encoder's .pth (vgg19_to_relu3_1.pth or vgg19-dcbb9e9d.pth)"},
         {"style_size", "side the encoder sees the style at (0: 224 for fc1, else image_size)"},
         {"lambda_l1", "weight of the L1 terms", "--lambda-L1"},
         {"guide1_weight", "L1 weight of guide decoder 1, relative to the output's (paper's alpha)"},
         {"guide2_weight", "L1 weight of guide decoder 2, relative to the output's (paper's beta)"},
         {"lambda_style", "weight of the style-head terms in G's and D's objectives"},
         {"lr", "Adam learning rate of G and D", "--lr"},
         {"beta1", "Adam beta1"},
         {"beta2", "Adam beta2"},
         {"load_size", "training: resize to this, then a random image_size crop (default image_size * 9/8)",
          "--load-size"},
         {"flip", "random horizontal flips in training"},
         {"lineart", "auto (lineart/ + color/ pairs if present, else extracted), pairs, or xdog"},
         {"style_augment", "re-crop, flip, rotate and tile-shuffle the training style image"},
         {"test_train_mode", "inference normalises each image with its own batch statistics, as in training (false: running statistics)"},
         {"bn_batches", "before each checkpoint, re-estimate the generator's batch-norm statistics over this many "
                        "training batches with the saved weights (0: keep the running averages)"}});
    return specs;
}

Style2PaintsOptions Style2PaintsOptions::from_json(const nlohmann::json& j) {
    check_options("style2paints", style2paints_option_specs(), j);
    Style2PaintsOptions o;
    read_option(j, "image_size", o.image_size);
    read_option(j, "ngf", o.ngf);
    read_option(j, "ndf", o.ndf);
    read_option(j, "middle_blocks", o.middle_blocks);
    read_option(j, "hint_width", o.hint_width);
    read_option(j, "guides", o.guides);
    read_option(j, "style_encoder", o.style_encoder);
    read_option(j, "style_weights", o.style_weights);
    read_option(j, "style_size", o.style_size);
    read_option(j, "lambda_l1", o.lambda_l1);
    read_option(j, "guide1_weight", o.guide1_weight);
    read_option(j, "guide2_weight", o.guide2_weight);
    read_option(j, "lambda_style", o.lambda_style);
    read_option(j, "lr", o.lr);
    read_option(j, "beta1", o.beta1);
    read_option(j, "beta2", o.beta2);
    o.load_size = o.image_size * 9 / 8;
    read_option(j, "load_size", o.load_size);
    read_option(j, "flip", o.flip);
    read_option(j, "lineart", o.lineart);
    read_option(j, "style_augment", o.style_augment);
    read_option(j, "test_train_mode", o.test_train_mode);
    read_option(j, "bn_batches", o.bn_batches);
    o.validate();
    return o;
}

}  // namespace ganvas
