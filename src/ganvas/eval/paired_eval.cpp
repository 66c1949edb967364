#include "ganvas/eval/paired_eval.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/eval/html_report.h"
#include "ganvas/eval/metrics.h"
#include "ganvas/eval/realism.h"
#include "ganvas/models/registry.h"

#include <fmt/format.h>

#include <optional>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

// Mean |a - b| of two 8-bit images, scaled to [0, 1].
double mean_abs(const cv::Mat& a, const cv::Mat& b) {
    return cv::norm(a, b, cv::NORM_L1) / (255.0 * static_cast<double>(a.total() * a.channels()));
}

struct Sums {
    double l1 = 0, psnr = 0, ssim = 0;
    void add(const cv::Mat& out, const cv::Mat& target) {
        l1 += mean_abs(out, target);
        psnr += std::min(100.0, psnr_u8(out, target));
        ssim += ssim_u8(out, target);
    }
    PairedMeans mean(int64_t n) const {
        const double d = static_cast<double>(std::max<int64_t>(n, 1));
        return {l1 / d, psnr / d, ssim / d};
    }
};

nlohmann::json means_json(const PairedMeans& m) { return {{"l1", m.l1}, {"psnr", m.psnr}, {"ssim", m.ssim}}; }

}  // namespace

nlohmann::json PairedEvaluation::to_json() const {
    nlohmann::json j{{"images", images}, {"failed", failed},   {"image_size", image_size},
                     {"model", means_json(model)}, {"input_as_output", means_json(input)},
                     {"l1", "mean |output - target| of 8-bit images scaled to [0, 1]"},
                     {"ssim", "skimage structural_similarity defaults, mean of R, G, B"}};
    if (diversity >= 0) {
        j["diversity"] = {{"samples", diversity_samples}, {"mean_pairwise_l1", diversity}};
    }
    if (class_accuracy_real >= 0) {
        j["class_accuracy"] = {{"real", class_accuracy_real}, {"output", class_accuracy_output}};
    }
    for (const auto& [name, means] : variants) j["variants"][name] = means_json(means);
    if (realism.kid > -1.0) {
        j["realism_vgg"] = {{"model", {{"kid", realism.kid}, {"fid", realism.fid}}},
                            {"input_as_output", {{"kid", input_realism.kid}, {"fid", input_realism.fid}}},
                            {"features", "VGG-19 global averages of relu1_1, relu2_1, relu3_1 (not Inception)"}};
    }
    if (inception.fid > -1.0) {
        const auto scores = [](const RealismScores& r) {
            return nlohmann::json{{"kid", r.kid}, {"fid", r.fid}, {"is", r.is}, {"is_spread", r.is_spread}};
        };
        j["realism_inception"] = {{"model", scores(inception)},
                                  {"input_as_output", scores(input_inception)},
                                  {"target", {{"is", target_is}, {"is_spread", target_is_spread}}},
                                  {"features", "Inception-v3 pool (pytorch-fid's weights), 1,008-way softmax for IS"}};
    }
    if (style.share_toward >= 0) {
        j["style_following"] = {{"pairs", style.pairs},
                                {"share_toward_style", style.share_toward},
                                {"mean_shift", style.mean_shift},
                                {"own_style_distance", style.own_distance},
                                {"other_style_distance", style.other_distance},
                                {"unchanged_distance", style.stay_distance},
                                {"distance", "L1 between normalised 8x8x8 RGB histograms (0: same colours, 2: disjoint)"}};
    }
    return j;
}

std::string PairedEvaluation::table() const {
    std::string t = fmt::format("{} pairs at {}x{}{}\n", images, image_size, image_size,
                                failed ? fmt::format(" ({} unreadable, skipped)", failed) : "");
    t += fmt::format("{:<18}{:>10}{:>10}{:>10}\n", "", "L1", "PSNR dB", "SSIM");
    const auto row = [](const char* name, const PairedMeans& m) {
        return fmt::format("{:<18}{:>10.4f}{:>10.2f}{:>10.4f}\n", name, m.l1, m.psnr, m.ssim);
    };
    t += row("model", model);
    for (const auto& [name, means] : variants) t += row(name.c_str(), means);
    t += row("input as output", input);
    if (realism.kid > -1.0) {
        t += fmt::format("realism on VGG-19 features: KID {:.4f}, FID {:.2f} (input as output: KID {:.4f}, FID {:.2f})\n",
                         realism.kid, realism.fid, input_realism.kid, input_realism.fid);
    }
    if (inception.fid > -1.0) {
        t += fmt::format("standard realism on Inception-v3: KID {:.4f}, FID {:.2f}, IS {:.2f} ± {:.2f} (input as output: "
                         "KID {:.4f}, FID {:.2f}, IS {:.2f}; targets' IS {:.2f})\n",
                         inception.kid, inception.fid, inception.is, inception.is_spread, input_inception.kid,
                         input_inception.fid, input_inception.is, target_is);
    }
    if (diversity >= 0) t += fmt::format("diversity: mean pairwise L1 of {} samples per input {:.4f}\n", diversity_samples, diversity);
    if (class_accuracy_real >= 0) {
        t += fmt::format("classifier top-1: real photos {:.1f}%, outputs {:.1f}%\n", 100 * class_accuracy_real,
                         100 * class_accuracy_output);
    }
    if (style.share_toward >= 0) {
        t += fmt::format("style following over {} pairs: {:.1f}% move toward the other painting; colour distance "
                         "{:.3f} -> {:.3f} (shift {:+.3f}; own painting {:.3f})\n",
                         style.pairs, 100 * style.share_toward, style.stay_distance, style.other_distance,
                         style.mean_shift, style.own_distance);
    }
    return t;
}

namespace {

cv::Mat at_size(const cv::Mat& image, int64_t size) {
    return size > 0 ? resize_square(image, static_cast<int>(size)) : image;
}

}  // namespace

PairedEvaluation evaluate_paired(GanModel& model, const std::vector<fs::path>& files,
                                 const PairedEvalOptions& options) {
    auto dataset = model.make_dataset(files, /*train=*/false);
    const int64_t n = options.limit > 0 ? std::min<int64_t>(options.limit, static_cast<int64_t>(dataset->size()))
                                        : static_cast<int64_t>(dataset->size());
    PairedEvaluation result;
    const ModelDescriptor& descriptor = model_descriptor(model.name());
    const std::string main_input = descriptor.main_input().name;
    const auto class_names = model.class_names();
    Sums model_sums, input_sums;
    double diversity_sum = 0;
    int64_t real_hits = 0, output_hits = 0, classified = 0;
    const bool classes = class_names.size() > 1;
    std::vector<std::vector<std::string>> rows;
    std::vector<Sums> variant_sums(descriptor.eval_variants.size());
    // The style input, when the model has one: what the style-following test needs per example.
    std::string style_input;
    for (const auto& spec : descriptor.inputs) {
        if (spec.each_file && spec.name != main_input) style_input = spec.name;
    }
    struct Kept {
        torch::Tensor input, style;
        cv::Mat output, target;
    };
    std::vector<Kept> kept;
    constexpr size_t kMaxKept = 500;
    std::optional<Vgg19Relu31> vgg;
    if (!options.realism_vgg.empty()) vgg = load_vgg19_relu31(options.realism_vgg);
    std::vector<torch::Tensor> out_features, target_features, input_features;
    std::optional<FidInception> inception;
    if (!options.realism_inception.empty()) inception = load_fid_inception(options.realism_inception);
    std::optional<InceptionSets> inception_sets;  // outputs, targets, inputs
    if (inception) inception_sets.emplace(*inception, 3);
    if (!options.html_dir.empty()) fs::create_directories(options.html_dir / "images");
    Progress progress("eval", n);
    for (int64_t i = 0; i < n; ++i) {
        Example ex;
        try {
            ex = dataset->get(static_cast<size_t>(i), 0);
        } catch (const std::exception& e) {
            spdlog::warn("{}", exception_text(e));
            ++result.failed;
            progress.update(i + 1);
            continue;
        }
        const cv::Mat input = at_size(tensor_to_image(ex.input), options.size);
        const cv::Mat target = at_size(tensor_to_image(ex.target), options.size);
        // Example i's own draw (seed + i), and its class when the model has classes.
        InferenceRequest request;
        request.inputs[main_input] = ex.input.unsqueeze(0);
        request.parameters = options.parameters;
        for (const auto& spec : descriptor.inputs) {  // the further inputs the dataset makes (a style image)
            if (spec.name == main_input) continue;
            if (auto extra = ex.extra.find(spec.name); extra != ex.extra.end()) {
                request.inputs[spec.name] = extra->second.unsqueeze(0);
            }
        }
        request.seed = options.seed + static_cast<uint64_t>(i);
        request.samples = std::max<int64_t>(1, options.diversity);
        if (!class_names.empty() && ex.label >= 0 && ex.label < static_cast<int64_t>(class_names.size())) {
            request.parameters["class"] = class_names[static_cast<size_t>(ex.label)];
        }
        const InferenceResult inferred = model.infer(request);
        const auto& out_tensor = inferred.outputs.front().images;
        const cv::Mat output = at_size(tensor_to_image(out_tensor[0]), options.size);
        std::vector<cv::Mat> samples;  // with --diversity: the k draws for this input (the first is `output`)
        if (options.diversity >= 2) {
            for (int64_t k = 0; k < options.diversity; ++k) {
                samples.push_back(at_size(tensor_to_image(inferred.outputs[static_cast<size_t>(k)].images[0]), options.size));
            }
            double sum = 0;
            int pairs = 0;
            for (size_t a = 0; a < samples.size(); ++a) {
                for (size_t b = a + 1; b < samples.size(); ++b, ++pairs) sum += mean_abs(samples[a], samples[b]);
            }
            diversity_sum += sum / pairs;
        }
        if (classes && ex.label >= 0) {
            const auto real_logits = model.classify(ex.target.unsqueeze(0));
            const auto out_logits = model.classify(out_tensor);
            if (real_logits.defined() && out_logits.defined()) {
                real_hits += real_logits.argmax(1).item<int64_t>() == ex.label;
                output_hits += out_logits.argmax(1).item<int64_t>() == ex.label;
                ++classified;
            }
        }
        for (size_t v = 0; v < descriptor.eval_variants.size(); ++v) {
            InferenceRequest variant = request;
            variant.samples = 1;
            variant.parameters.update(descriptor.eval_variants[v].parameters);
            variant_sums[v].add(at_size(tensor_to_image(model.infer(variant).outputs.front().images[0]), options.size),
                                target);
        }
        if (!style_input.empty() && request.inputs.count(style_input) && kept.size() < kMaxKept) {
            kept.push_back({request.inputs.at(main_input), request.inputs.at(style_input), output, target});
        }
        model_sums.add(output, target);
        input_sums.add(input, target);
        if (vgg) {
            out_features.push_back(vgg_descriptors(*vgg, image_to_tensor(output).unsqueeze(0)));
            target_features.push_back(vgg_descriptors(*vgg, image_to_tensor(target).unsqueeze(0)));
            input_features.push_back(vgg_descriptors(*vgg, image_to_tensor(input).unsqueeze(0)));
        }
        if (inception_sets) {
            inception_sets->add(0, image_to_tensor(output).unsqueeze(0));
            inception_sets->add(1, image_to_tensor(target).unsqueeze(0));
            inception_sets->add(2, image_to_tensor(input).unsqueeze(0));
        }
        result.image_size = target.rows;
        ++result.images;
        if (!options.html_dir.empty() && static_cast<int64_t>(rows.size()) < options.html_rows) {
            std::vector<std::string> row;
            for (const auto& [name, image] : {std::pair{"input", &input}, {"output", &output}, {"target", &target}}) {
                const std::string rel = fmt::format("images/{:04d}_{}.png", i, name);
                write_image_rgb(options.html_dir / rel, *image);
                row.push_back(rel);
            }
            for (size_t k = 1; k < samples.size(); ++k) {  // the further draws, between output and target
                const std::string rel = fmt::format("images/{:04d}_sample{}.png", i, k + 1);
                write_image_rgb(options.html_dir / rel, samples[k]);
                row.insert(row.end() - 1, rel);
            }
            rows.push_back(row);
        }
        progress.update(i + 1);
    }
    progress.finish();
    if (result.images == 0) throw Error("no pair could be read for evaluation");
    result.model = model_sums.mean(result.images);
    result.input = input_sums.mean(result.images);
    if (vgg && result.images >= 2) {
        const auto real = torch::cat(target_features), fake = torch::cat(out_features), in = torch::cat(input_features);
        result.realism = {kernel_inception_distance(fake, real), frechet_distance(fake, real)};
        result.input_realism = {kernel_inception_distance(in, real), frechet_distance(in, real)};
    }
    if (inception_sets && result.images >= 2) {
        const auto real = inception_sets->pool(1);
        const auto score = [&](size_t k) {
            const auto fake = inception_sets->pool(k);
            const auto is = inception_score(inception_sets->logits(k));
            return RealismScores{kernel_inception_distance(fake, real), frechet_distance(fake, real), is.mean, is.spread};
        };
        result.inception = score(0);
        result.input_inception = score(2);
        const auto target_is = inception_score(inception_sets->logits(1));
        result.target_is = target_is.mean;
        result.target_is_spread = target_is.spread;
    }
    if (options.diversity >= 2) {
        result.diversity_samples = options.diversity;
        result.diversity = diversity_sum / static_cast<double>(result.images);
    }
    for (size_t v = 0; v < descriptor.eval_variants.size(); ++v) {
        result.variants.emplace_back(descriptor.eval_variants[v].name, variant_sums[v].mean(result.images));
    }
    if (kept.size() >= 2) {
        auto& sf = result.style;
        int64_t toward = 0;
        Progress style_progress("style following", static_cast<int64_t>(kept.size()));
        for (size_t i = 0; i < kept.size(); ++i) {
            const Kept& own = kept[i];
            const Kept& other = kept[(i + 1) % kept.size()];
            InferenceRequest request;
            request.inputs[main_input] = own.input;
            request.inputs[style_input] = other.style;
            request.seed = options.seed + static_cast<uint64_t>(i);
            const cv::Mat moved = at_size(tensor_to_image(model.infer(request).outputs.front().images[0]), options.size);
            const double d_other = color_histogram_distance(moved, other.target);
            const double d_stay = color_histogram_distance(own.output, other.target);
            sf.own_distance += color_histogram_distance(own.output, own.target);
            sf.other_distance += d_other;
            sf.stay_distance += d_stay;
            sf.mean_shift += d_stay - d_other;
            toward += d_other < d_stay;
            style_progress.update(static_cast<int64_t>(i + 1));
        }
        style_progress.finish();
        const double m = static_cast<double>(kept.size());
        sf.pairs = static_cast<int64_t>(kept.size());
        sf.share_toward = static_cast<double>(toward) / m;
        sf.mean_shift /= m;
        sf.own_distance /= m;
        sf.other_distance /= m;
        sf.stay_distance /= m;
    }
    if (classified > 0) {
        result.class_accuracy_real = static_cast<double>(real_hits) / static_cast<double>(classified);
        result.class_accuracy_output = static_cast<double>(output_hits) / static_cast<double>(classified);
    }
    if (!options.html_dir.empty()) {
        std::string body = "<h1>" + html_escape(model.name()) + " on held-aside pairs</h1>\n";
        std::vector<std::vector<std::string>> table{{"", "L1", "PSNR dB", "SSIM"}};
        const auto add = [&](const std::string& name, const PairedMeans& m) {
            table.push_back({name, fmt::format("{:.4f}", m.l1), fmt::format("{:.2f}", m.psnr), fmt::format("{:.4f}", m.ssim)});
        };
        add("model", result.model);
        for (const auto& [name, means] : result.variants) add(name, means);
        add("input as output", result.input);
        body += html_table(table);
        if (result.style.share_toward >= 0) {
            body += "<p>" + html_escape(result.table().substr(result.table().find("style following"))) + "</p>\n";
        }
        std::vector<std::string> columns{"input", "output"};
        for (int64_t k = 2; k <= options.diversity; ++k) columns.push_back("sample " + std::to_string(k));
        columns.push_back("target");
        body += html_image_table(columns, rows, options.diversity >= 2 ? 128 : 192);
        write_html_page(options.html_dir / "index.html", model.name() + " results", body);
    }
    return result;
}

}  // namespace ganvas
