// PiDiNet (Su et al., "Pixel Difference Networks for Efficient Edge Detection", ICCV 2021), the
// `table5_pidinet` configuration (carv4, CSAM, CDCM; 60-120-240-240 channels), inference only.
//
// Its pixel-difference convolutions (PDC: central cd, angular ad, radial rd) are rewritten into
// plain convolutions when the checkpoint is loaded (cd, ad: 3x3 pad 1; rd: 5x5 pad 2), which is
// exact (../shared/weights/pidinet/SPEC.md describes the graph; the numbers below are the
// reference's). Module names follow the checkpoint's keys, so loading is name by name.
#pragma once
#include "ganvas/edges/pidinet_kernels.h"

#include <torch/nn.h>

#include <filesystem>
#include <map>
#include <string>

namespace ganvas {

enum class PdcType { Cv, Cd, Ad, Rd };

// The plain-convolution kernel of a PDC weight [O, I, 3, 3] and its padding (1, or 2 for rd).
std::pair<torch::Tensor, int64_t> convert_pdc(const torch::Tensor& weight, PdcType type);

class PdcBlockImpl : public torch::nn::Module {
public:
    // A depthwise-separable residual block; `downsample`: 2x2 max-pool first, 1x1 shortcut with bias.
    PdcBlockImpl(int64_t in, int64_t out, PdcType type, bool downsample);
    // x: [N, in, H, W] -> [N, out, H, W] (H/2, W/2 when downsampling).
    torch::Tensor forward(torch::Tensor x);

    // Packs the current weights for the fused CPU kernels (pidinet_kernels.h) and uses them from
    // then on for float CPU input outside autograd; nullptr (or a CPU without AVX2) keeps LibTorch's
    // ops. Call again after changing the weights.
    void prepare_fused(const pidinet_kernels::Kernels* kernels = pidinet_kernels::select_kernels());

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
    PdcType type;
    bool downsample;

    // The packed weights and sizes for the fused kernels on an input of height x width (already
    // pooled when downsampling); x and out left unset. Needs prepare_fused with a kernel set.
    pidinet_kernels::BlockArgs fused_args(int64_t height, int64_t width) const;

private:
    torch::Tensor forward_fused(const torch::Tensor& x);
    const pidinet_kernels::Kernels* kernels_ = nullptr;
    torch::Tensor packed_depthwise_, packed_pointwise_, packed_shortcut_, packed_bias_;
    uint32_t zero_taps_ = 0;  // depthwise taps whose weights are all zero (BlockArgs::zero_taps)
};
TORCH_MODULE(PdcBlock);

class PiDiNetImpl : public torch::nn::Module {
public:
    PiDiNetImpl();
    // x: [N, 3, H, W], already normalised (ImageNet mean / std, RGB). Returns the five maps
    // sigmoid(side 1..4) and sigmoid(fused), each [N, 1, H, W].
    std::vector<torch::Tensor> forward_all(const torch::Tensor& x) { return run(x, true); }
    // sigmoid(fused) alone: on the fused CPU path the side maps are upsampled into it, not kept.
    torch::Tensor forward(const torch::Tensor& x) { return run(x, false).back(); }

    // Copies a state dict (names as in the checkpoint, "module." stripped), converting the PDC
    // kernels. Throws Error naming `source` and the key on a missing or misshapen tensor.
    void load_state(const std::map<std::string, torch::Tensor>& state, const std::string& source);

    // prepare_fused on every block (load_pidinet does this).
    void prepare_fused(const pidinet_kernels::Kernels* kernels = pidinet_kernels::select_kernels());

    // On the fused path, stream whole stages through the stage kernel (true unless
    // GANVAS_PIDINET_STAGES=0) or run block by block.
    bool stream_stages;
    // On the fused path, how the side branches' dilated convolutions run: 4, Winograd F(4, 3) down
    // the columns where rows group by fours and F(2, 3) where they pair (the default); 2, F(2, 3)
    // only; 0, tap by tap. GANVAS_PIDINET_WINOGRAD=0 or 2 sets it at construction.
    int winograd_outputs;

    torch::nn::Conv2d init_block{nullptr};
    std::vector<PdcBlock> blocks;  // block1_1 ... block4_4
    torch::nn::ModuleList dilations, attentions, conv_reduces;
    torch::nn::Conv2d classifier{nullptr};

private:
    std::vector<torch::Tensor> run(const torch::Tensor& x, bool side_maps);
    // classifier(cat(upsample(e_0..e_3))) in one pass over the output (bilinear, align_corners false).
    torch::Tensor fuse_upsampled(const std::vector<torch::Tensor>& logits, int64_t h, int64_t w);
    // Side branch i's logit e_i before upsampling: [N, C_i, h, w] -> [N, 1, h, w].
    torch::Tensor side_logit(size_t i, const torch::Tensor& f);
    torch::Tensor side_logit_fused(size_t i, const torch::Tensor& f);
    // The fused CPU path up to the side logits: each stage streamed by the stage kernel (its maps
    // never stored whole), the side branches from the z it leaves.
    std::vector<torch::Tensor> side_logits_streamed(const torch::Tensor& x);
    struct SidePack {  // SideArgs' weights
        torch::Tensor reduce, reduce_bias, dilated, winograd, winograd4, direct, attention, attention_bias,
            map, gate;
    };
    struct SideBuffers {  // side branch i on n images of h x w: SideArgs with its buffers
        torch::Tensor s, g, t, z;
        pidinet_kernels::SideArgs args;
    };
    SideBuffers side_buffers(size_t i, int64_t n, int64_t channels, int64_t h, int64_t w) const;
    // After z of image b is in place: s, t and g of image b (the dilated and gate passes).
    void side_passes(SideBuffers& buf, int64_t b) const;
    // e = sigmoid(g) * s + b_map for all images, [n, 1, h, w].
    torch::Tensor side_result(size_t i, SideBuffers& buf);
    const pidinet_kernels::Kernels* kernels_ = nullptr;
    std::vector<SidePack> side_packs_;
    torch::Tensor packed_init_;  // init_block for the streamed path (BlockArgs::dense)
};
TORCH_MODULE(PiDiNet);

// The state-dict keys and shapes the checkpoint holds (before PDC conversion), in its order.
std::vector<std::pair<std::string, std::vector<int64_t>>> pidinet_checkpoint_layout();

// Loads `table5_pidinet.pth` (or any checkpoint with its layout) through the .pth reader.
PiDiNet load_pidinet(const std::filesystem::path& path);

// 8-bit RGB image -> edge probability [H, W] in (0, 1) (CPU float), at native resolution.
torch::Tensor pidinet_edges(PiDiNet& net, const torch::Tensor& rgb01, const torch::Device& device = torch::kCPU);

}  // namespace ganvas
