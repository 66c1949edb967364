#include "ganvas/models/pix2pix/options.h"

#include "ganvas/core/error.h"


namespace ganvas {
namespace {

const char* to_string(Pix2PixData mode) {
    switch (mode) {
        case Pix2PixData::Aligned: return "aligned";
        case Pix2PixData::Folders: return "folders";
        case Pix2PixData::Colorization: return "colorization";
    }
    return "?";
}

Pix2PixData parse_data_mode(const std::string& s) {
    if (s == "aligned") return Pix2PixData::Aligned;
    if (s == "folders") return Pix2PixData::Folders;
    if (s == "colorization") return Pix2PixData::Colorization;
    throw UsageError("--dataset-mode: '" + s + "' is not one of aligned, folders, colorization");
}

}  // namespace

void Pix2PixOptions::validate() const {
    check_one_of("--netG", netG, {"unet_256", "unet_128", "resnet_9blocks", "resnet_6blocks"});
    check_one_of("--netD", netD, {"basic", "n_layers", "pixel"});
    check_one_of("--norm", norm, {"batch", "instance", "none"});
    check_one_of("--init-type", init_type, {"normal", "xavier", "kaiming", "orthogonal"});
    check_one_of("--direction", direction, {"AtoB", "BtoA"});
    check_one_of("transpose_kernel", transpose_kernel, {"auto", "onednn", "reference"});
    if (n_layers_D < 1 || n_layers_D > 6) throw UsageError("--n-layers-D must be in 1..6");
    if (ngf < 1 || ndf < 1) throw UsageError("--ngf and --ndf must be positive");
    const int64_t levels = netG == "unet_256" ? 8 : netG == "unet_128" ? 7 : 2;
    if (crop_size < 1 || crop_size % (int64_t{1} << levels) != 0) {
        throw UsageError("--crop-size: " + netG + " needs a multiple of " + std::to_string(int64_t{1} << levels) +
                         ", got " + std::to_string(crop_size));
    }
    if (load_size < crop_size) throw UsageError("--load-size must be at least --crop-size");
    if (lambda_L1 < 0 || lambda_gp < 0) throw UsageError("--lambda-L1 and --lambda-gp must be non-negative");
    if (!(lr > 0)) throw UsageError("--lr must be positive");
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw UsageError("Adam betas must be in [0, 1)");
    if (n_epochs < 0 || n_epochs_decay < 0 || n_epochs + n_epochs_decay == 0) {
        throw UsageError("--n-epochs and --n-epochs-decay must be non-negative and not both zero");
    }
}

nlohmann::json Pix2PixOptions::to_json() const {
    return {{"netG", netG}, {"netD", netD}, {"n_layers_D", n_layers_D}, {"ngf", ngf}, {"ndf", ndf},
            {"norm", norm}, {"dropout", dropout}, {"init_type", init_type}, {"init_gain", init_gain},
            {"gan_mode", ganvas::to_string(gan_mode)}, {"lambda_L1", lambda_L1}, {"lambda_gp", lambda_gp},
            {"lr", lr}, {"beta1", beta1}, {"beta2", beta2}, {"n_epochs", n_epochs},
            {"n_epochs_decay", n_epochs_decay}, {"direction", direction},
            {"dataset_mode", to_string(dataset_mode)}, {"load_size", load_size}, {"crop_size", crop_size},
            {"flip", flip}, {"test_train_mode", test_train_mode}, {"transpose_kernel", transpose_kernel}, {"fused_adam", fused_adam},
            {"channels_last", channels_last}};
}

const std::vector<OptionSpec>& pix2pix_option_specs() {
    static const std::vector<OptionSpec> specs = specs_from_defaults(
        Pix2PixOptions().to_json(),
        {{"netG", "generator: unet_256, unet_128, resnet_9blocks, resnet_6blocks", "--netG"},
         {"netD", "discriminator: basic (70x70 PatchGAN), n_layers, pixel", "--netD"},
         {"n_layers_D", "stride-2 layers of netD n_layers (1-6)"},
         {"ngf", "generator base width"},
         {"ndf", "discriminator base width"},
         {"norm", "batch, instance or none", "--norm"},
         {"dropout", "dropout 0.5 in the U-Net's inner decoder blocks / the ResNet blocks"},
         {"init_type", "normal, xavier, kaiming or orthogonal"},
         {"init_gain", "scale of the initial weights"},
         {"gan_mode", "GAN objective: vanilla, lsgan, hinge, wgangp", "--gan-mode"},
         {"lambda_L1", "weight of the L1 term", "--lambda-L1"},
         {"lambda_gp", "weight of WGAN-GP's gradient penalty"},
         {"lr", "Adam learning rate", "--lr"},
         {"beta1", "Adam beta1"},
         {"beta2", "Adam beta2"},
         {"n_epochs", "share of the run (in epochs of n_epochs + n_epochs_decay) at the full learning rate"},
         {"n_epochs_decay", "share of the run over which the rate decays linearly to zero"},
         {"direction", "AtoB or BtoA: which half of an AB image is the input", "--direction"},
         {"dataset_mode", "aligned (AB images), folders (A/ and B/), colorization (color photos, Lab)",
          "--dataset-mode"},
         {"load_size", "resize to this before the random crop (default: crop_size * 286 / 256)", "--load-size"},
         {"crop_size", "the training crop, a multiple of 2^levels of netG", "--size"},
         {"flip", "random horizontal flips in training"},
         {"test_train_mode", "inference as test.py: batch statistics and dropout on (false: --eval)"},
         {"transpose_kernel", "transposed convolutions: auto, onednn, reference (benchmarks)"},
         {"fused_adam", "one-pass Adam (false: torch::optim::Adam; benchmarks)"},
         {"channels_last", "channels-last tensors in the networks"}});
    return specs;
}

Pix2PixOptions Pix2PixOptions::from_json(const nlohmann::json& j) {
    check_options("pix2pix", pix2pix_option_specs(), j, kPix2PixLegacyOptions);
    Pix2PixOptions o;
    // Retired switch of early checkpoints: both speed-ups together.
    if (j.contains("fast_kernels") && !j.at("fast_kernels").get<bool>()) {
        o.transpose_kernel = "reference";
        o.fused_adam = false;
    }
    read_option(j, "netG", o.netG);
    read_option(j, "netD", o.netD);
    read_option(j, "n_layers_D", o.n_layers_D);
    read_option(j, "ngf", o.ngf);
    read_option(j, "ndf", o.ndf);
    read_option(j, "norm", o.norm);
    read_option(j, "dropout", o.dropout);
    read_option(j, "init_type", o.init_type);
    read_option(j, "init_gain", o.init_gain);
    if (j.contains("gan_mode")) o.gan_mode = parse_gan_objective(j.at("gan_mode").get<std::string>());
    read_option(j, "lambda_L1", o.lambda_L1);
    read_option(j, "lambda_gp", o.lambda_gp);
    read_option(j, "lr", o.lr);
    read_option(j, "beta1", o.beta1);
    read_option(j, "beta2", o.beta2);
    read_option(j, "n_epochs", o.n_epochs);
    read_option(j, "n_epochs_decay", o.n_epochs_decay);
    read_option(j, "direction", o.direction);
    if (j.contains("dataset_mode")) o.dataset_mode = parse_data_mode(j.at("dataset_mode").get<std::string>());
    read_option(j, "load_size", o.load_size);
    read_option(j, "crop_size", o.crop_size);
    // The reference's 286 / 256 ratio when only the crop is given.
    if (j.contains("crop_size") && !j.contains("load_size")) o.load_size = o.crop_size * 286 / 256;
    read_option(j, "flip", o.flip);
    read_option(j, "test_train_mode", o.test_train_mode);
    read_option(j, "transpose_kernel", o.transpose_kernel);
    read_option(j, "fused_adam", o.fused_adam);
    read_option(j, "channels_last", o.channels_last);
    o.validate();
    return o;
}

}  // namespace ganvas
