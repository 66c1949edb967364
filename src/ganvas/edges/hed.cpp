#include "ganvas/edges/hed.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"
#include "ganvas/core/sha256.h"

#include <fmt/format.h>
#include <opencv2/dnn.hpp>
#include <opencv2/dnn/layer.details.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <random>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

struct ConvSpec {
    std::string name, bottom, top;
    int in, out, kernel, pad;
};

// HED's convolutions in order: VGG-16 (conv1_1 pads 35 so that side outputs cover the input),
// the five 1x1 side scores and the fusion.
std::vector<ConvSpec> hed_convs() {
    std::vector<ConvSpec> v;
    const int widths[5] = {64, 128, 256, 512, 512};
    const int depth[5] = {2, 2, 3, 3, 3};
    int in = 3;
    std::string bottom = "data";
    for (int s = 0; s < 5; ++s) {
        for (int i = 0; i < depth[s]; ++i) {
            const std::string name = fmt::format("conv{}_{}", s + 1, i + 1);
            v.push_back({name, bottom, name, in, widths[s], 3, (s == 0 && i == 0) ? 35 : 1});
            in = widths[s];
            bottom = name;
        }
        bottom = fmt::format("pool{}", s + 1);
    }
    const char* side[5] = {"conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3"};
    for (int s = 0; s < 5; ++s) {
        v.push_back({fmt::format("score-dsn{}", s + 1), side[s], s == 0 ? "score-dsn1-up" : fmt::format("score-dsn{}", s + 1),
                     widths[s], 1, 1, 0});
    }
    v.push_back({"new-score-weighting", "concat-upscore", "upscore-fuse", 5, 1, 1, 0});
    return v;
}

// Side-output upsamplers: 1-channel deconvolutions of stride 2^s, kernel 2^(s+1).
struct DeconvSpec {
    std::string name;
    int stage, kernel, stride;
};
std::vector<DeconvSpec> hed_deconvs() { return {{"upsample_2", 2, 4, 2}, {"upsample_4", 3, 8, 4}, {"upsample_8", 4, 16, 8}, {"upsample_16", 5, 32, 16}}; }

// --- protobuf wire format (only what a caffemodel needs) ---------------------------------------
void varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}
void length_delimited(std::string& out, int field, const std::string& payload) {
    varint(out, (static_cast<uint64_t>(field) << 3) | 2);
    varint(out, payload.size());
    out += payload;
}
std::string blob(const std::vector<int64_t>& shape, std::mt19937_64& rng, float stddev) {
    std::string dims, data, shape_msg, out;
    int64_t n = 1;
    for (auto d : shape) varint(dims, static_cast<uint64_t>(d)), n *= d;
    length_delimited(shape_msg, 1, dims);  // BlobShape.dim, packed
    std::normal_distribution<float> normal(0.0f, stddev);
    data.resize(static_cast<size_t>(n) * 4);
    for (int64_t i = 0; i < n; ++i) {
        const float f = normal(rng);
        std::memcpy(&data[static_cast<size_t>(i) * 4], &f, 4);  // little-endian floats
    }
    length_delimited(out, 5, data);       // BlobProto.data, packed
    length_delimited(out, 7, shape_msg);  // BlobProto.shape
    return out;
}
std::string layer(const std::string& name, const std::string& type, const std::vector<std::string>& blobs) {
    std::string out;
    length_delimited(out, 1, name);  // LayerParameter.name
    length_delimited(out, 2, type);  // LayerParameter.type
    for (const auto& b : blobs) length_delimited(out, 7, b);  // LayerParameter.blobs
    return out;
}

// HED's Crop: the centre of input 0, at input 1's height and width.
class CenterCropLayer : public cv::dnn::Layer {
public:
    explicit CenterCropLayer(const cv::dnn::LayerParams& params) : Layer(params) {}
    static cv::Ptr<cv::dnn::Layer> create(cv::dnn::LayerParams& params) { return cv::makePtr<CenterCropLayer>(params); }
    bool getMemoryShapes(const std::vector<std::vector<int>>& inputs, const int, std::vector<std::vector<int>>& outputs,
                         std::vector<std::vector<int>>&) const override {
        // A network definition is input too: two 4-D inputs, the second no larger than the first.
        CV_Assert(inputs.size() == 2 && inputs[0].size() == 4 && inputs[1].size() == 4);
        CV_Assert(inputs[1][2] <= inputs[0][2] && inputs[1][3] <= inputs[0][3]);
        std::vector<int> shape = inputs[0];
        shape[2] = inputs[1][2];
        shape[3] = inputs[1][3];
        outputs.assign(1, shape);
        return false;
    }
    void forward(cv::InputArrayOfArrays in_arr, cv::OutputArrayOfArrays out_arr, cv::OutputArrayOfArrays) override {
        std::vector<cv::Mat> inputs, outputs;
        in_arr.getMatVector(inputs);
        out_arr.getMatVector(outputs);
        CV_Assert(inputs.size() == 2 && outputs.size() == 1 && inputs[0].dims == 4 && outputs[0].dims == 4);
        const cv::Mat& src = inputs[0];
        cv::Mat& dst = outputs[0];
        CV_Assert(dst.size[0] == src.size[0] && dst.size[1] == src.size[1] && dst.size[2] <= src.size[2] &&
                  dst.size[3] <= src.size[3]);
        const int y0 = (src.size[2] - dst.size[2]) / 2, x0 = (src.size[3] - dst.size[3]) / 2;
        const cv::Range ranges[4] = {cv::Range::all(), cv::Range::all(), cv::Range(y0, y0 + dst.size[2]),
                                     cv::Range(x0, x0 + dst.size[3])};
        src(ranges).copyTo(dst);
    }
};

class HedDetector final : public EdgeDetector {
public:
    HedDetector(cv::dnn::Net net, HedOptions options) : net_(std::move(net)), options_(options) {}
    std::string name() const override { return "hed"; }
    cv::Mat probability(const cv::Mat& rgb) const override {
        cv::Mat bgr, sized, padded;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        cv::resize(bgr, sized, cv::Size(options_.size, options_.size), 0, 0, cv::INTER_LINEAR);
        cv::copyMakeBorder(sized, padded, options_.pad, options_.pad, options_.pad, options_.pad, cv::BORDER_REFLECT_101);
        cv::Mat input = cv::dnn::blobFromImage(padded, 1.0, padded.size(), cv::Scalar(104.00699, 116.66877, 122.67891),
                                               false, false, CV_32F);
        cv::Mat out;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            net_.setInput(input);
            // The output lives in the network's own buffers, which the next caller overwrites:
            // copied before the lock is released.
            out = net_.forward("sigmoid-fuse").clone();
        }
        if (out.dims != 4 || out.size[2] < options_.size + 2 * options_.pad || out.size[3] < options_.size + 2 * options_.pad) {
            throw Error("HED returned a map of an unexpected shape");
        }
        cv::Mat map(out.size[2], out.size[3], CV_32F, out.ptr<float>());
        cv::Mat inner = map(cv::Rect(options_.pad, options_.pad, options_.size, options_.size)).clone();
        cv::Mat result;
        cv::resize(inner, result, rgb.size(), 0, 0, cv::INTER_LINEAR);
        return result;
    }

private:
    mutable cv::dnn::Net net_;
    mutable std::mutex mutex_;
    HedOptions options_;
};

}  // namespace

std::string hed_deploy_prototxt() {
    std::string p = "name: \"HED\"\ninput: \"data\"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 500\ninput_dim: 500\n";
    const auto convs = hed_convs();
    auto conv_text = [](const ConvSpec& c) {
        return fmt::format("layer {{ name: '{}' type: \"Convolution\" bottom: '{}' top: '{}' convolution_param {{ "
                           "num_output: {} kernel_size: {} pad: {} }} }}\n",
                           c.name, c.bottom, c.top, c.out, c.kernel, c.pad);
    };
    for (size_t i = 0; i < 13; ++i) {
        p += conv_text(convs[i]);
        p += fmt::format("layer {{ name: 'relu{}' type: \"ReLU\" bottom: '{}' top: '{}' }}\n", convs[i].name.substr(4),
                         convs[i].name, convs[i].name);
        const bool stage_end = convs[i].name == "conv1_2" || convs[i].name == "conv2_2" || convs[i].name == "conv3_3" ||
                               convs[i].name == "conv4_3";
        if (stage_end) {
            const int s = convs[i].name[4] - '0';
            p += fmt::format("layer {{ name: 'pool{0}' type: \"Pooling\" bottom: '{1}' top: 'pool{0}' pooling_param {{ "
                             "pool: MAX kernel_size: 2 stride: 2 }} }}\n",
                             s, convs[i].name);
        }
    }
    const auto deconvs = hed_deconvs();
    for (int s = 1; s <= 5; ++s) {
        p += conv_text(convs[12 + s]);
        std::string up = "score-dsn1-up";
        if (s > 1) {
            const auto& d = deconvs[s - 2];
            up = fmt::format("score-dsn{}-up", s);
            p += fmt::format("layer {{ name: '{}' type: \"Deconvolution\" bottom: 'score-dsn{}' top: '{}' "
                             "convolution_param {{ num_output: 1 kernel_size: {} stride: {} }} }}\n",
                             d.name, s, up, d.kernel, d.stride);
        }
        p += fmt::format("layer {{ name: 'crop{0}' type: \"Crop\" bottom: '{1}' bottom: 'data' top: 'upscore-dsn{0}' }}\n",
                         s, up);
    }
    p += "layer { name: 'concat' type: \"Concat\" bottom: 'upscore-dsn1' bottom: 'upscore-dsn2' bottom: 'upscore-dsn3' "
         "bottom: 'upscore-dsn4' bottom: 'upscore-dsn5' top: 'concat-upscore' }\n";
    p += conv_text(convs.back());
    p += "layer { name: 'sigmoid-fuse' type: \"Sigmoid\" bottom: 'upscore-fuse' top: 'sigmoid-fuse' }\n";
    return p;
}

void write_random_hed_caffemodel(const fs::path& path, uint64_t seed, float stddev) {
    std::mt19937_64 rng(seed);
    std::string net;
    length_delimited(net, 1, "HED");  // NetParameter.name
    for (const auto& c : hed_convs()) {
        const std::string l = layer(c.name, "Convolution",
                                    {blob({c.out, c.in, c.kernel, c.kernel}, rng, stddev), blob({c.out}, rng, stddev)});
        length_delimited(net, 100, l);  // NetParameter.layer
    }
    for (const auto& d : hed_deconvs()) {
        length_delimited(net, 100, layer(d.name, "Deconvolution", {blob({1, 1, d.kernel, d.kernel}, rng, stddev),
                                                                   blob({1}, rng, stddev)}));
    }
    write_file_atomic(path, net);
}

std::unique_ptr<EdgeDetector> make_hed_detector(const fs::path& weights, HedOptions options) {
    std::error_code ec;
    fs::path model = weights;
    if (fs::is_directory(weights, ec)) model = weights / "hed_pretrained_bsds.caffemodel";
    if (!fs::is_regular_file(model, ec)) throw Error("HED weights " + model.string() + " do not exist");
    if (model.filename() == "hed_pretrained_bsds.caffemodel") {
        const auto size = fs::file_size(model, ec);
        if (size != kHedCaffemodelBytes) {
            throw Error(fmt::format("{} has {} bytes; the official HED weights have {}", model.string(), size,
                                    kHedCaffemodelBytes));
        }
        const std::string digest = sha256_file(model);
        if (digest != kHedCaffemodelSha256) {
            throw Error(model.string() + " has sha256 " + digest + ", not the official " + kHedCaffemodelSha256);
        }
    }
    static std::once_flag registered;
    std::call_once(registered, [] { cv::dnn::LayerFactory::registerLayer("Crop", CenterCropLayer::create); });
    // The network is always the embedded definition: a deploy.prototxt lying beside the weights is
    // not read (a downloaded folder's network definition is input nobody checked).
    const fs::path prototxt = model.parent_path() / "deploy.prototxt";
    if (fs::exists(prototxt, ec)) spdlog::debug("HED: {} is not used; the network is ganvas's own definition", prototxt.string());
    cv::dnn::Net net;
    try {
        const std::string text = hed_deploy_prototxt();
        std::vector<uchar> proto(text.begin(), text.end());
        std::ifstream in(model, std::ios::binary);
        std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        net = cv::dnn::readNetFromCaffe(proto, bytes);
    } catch (const cv::Exception& e) {
        throw Error("OpenCV cannot load HED from " + model.string() + ": " + e.what());
    }
    if (net.empty()) throw Error("OpenCV loaded an empty network from " + model.string());
    return std::make_unique<HedDetector>(std::move(net), options);
}

}  // namespace ganvas
