#include "commands.h"
#include "ganvas/core/error.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/synth.h"

#include <spdlog/spdlog.h>

#include <memory>

namespace ganvas::cli {
namespace {
struct SynthFlags {
    std::string out;
    int64_t count = 1000;
    int size = 64;
    uint64_t seed = 1;
    bool ab = false;
    bool sketch = false;
    bool lineart = false;
};
}  // namespace

void register_data(CLI::App& app) {
    auto* data = app.add_subcommand("data", "datasets");
    data->require_subcommand(1);
    auto flags = std::make_shared<SynthFlags>();
    auto* synth = data->add_subcommand("synth", "write the embedded synthetic dataset (colors follow content)");
    synth->add_option("--out", flags->out, "output folder")->required();
    synth->add_option("--count", flags->count, "number of images")->check(CLI::Range(int64_t{1}, int64_t{10000000}))->capture_default_str();
    synth->add_option("--size", flags->size, "image side in pixels")->check(CLI::Range(8, 4096))->capture_default_str();
    synth->add_option("--seed", flags->seed, "seed (another seed gives other images)")->capture_default_str();
    synth->add_flag("--ab", flags->ab, "write pix2pix AB pairs: edges (left) | image (right)");
    synth->add_flag("--sketch", flags->sketch,
                    "write the 4-class sketch set for sketchygan: <out>/<class>/ AB pairs photo | sketch, --count per class");
    synth->add_flag("--lineart", flags->lineart,
                    "write the line-art set for style2paints: <out>/color/ paintings and <out>/lineart/ their line art");
    synth->callback([flags] {
        if (flags->ab + flags->sketch + flags->lineart > 1) {
            throw UsageError("--ab, --sketch and --lineart are different sets; pick one");
        }
        if (flags->lineart) {
            Progress progress("synth", flags->count);
            const int64_t n = write_synth_lineart_dataset(flags->out, flags->count, flags->size, flags->seed,
                                                          [&](int64_t done) { progress.update(done); });
            progress.finish();
            spdlog::info("wrote {} line art / painting pairs to {}", n, flags->out);
            return;
        }
        if (flags->sketch) {
            Progress progress("synth", flags->count * kSynthSketchClasses);
            const int64_t n = write_synth_sketch_dataset(flags->out, flags->count, flags->size, flags->seed,
                                                         [&](int64_t done) { progress.update(done); });
            progress.finish();
            spdlog::info("wrote {} pairs in {} classes to {}", n, kSynthSketchClasses, flags->out);
            return;
        }
        Progress progress("synth", flags->count);
        write_synth_dataset(flags->out, flags->count, flags->size, flags->seed,
                            [&](int64_t done) { progress.update(done); }, flags->ab);
        progress.finish();
        spdlog::info("wrote {} images to {}", flags->count, flags->out);
    });
}

}  // namespace ganvas::cli
