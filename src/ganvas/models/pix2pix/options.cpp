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

Pix2PixOptions Pix2PixOptions::from_json(const nlohmann::json& j) {
    Pix2PixOptions o;
    const auto known = o.to_json();
    try {
        for (const auto& [key, value] : j.items()) {
            if (!known.contains(key) && key != "fast_kernels") throw UsageError("pix2pix has no option '" + key + "'");
        }
        // Retired switch of early checkpoints: both speed-ups together.
        if (j.contains("fast_kernels") && !j.at("fast_kernels").get<bool>()) {
            o.transpose_kernel = "reference";
            o.fused_adam = false;
        }
        auto get = [&](const char* key, auto& field) {
            if (j.contains(key)) field = j.at(key).get<std::decay_t<decltype(field)>>();
        };
        get("netG", o.netG);
        get("netD", o.netD);
        get("n_layers_D", o.n_layers_D);
        get("ngf", o.ngf);
        get("ndf", o.ndf);
        get("norm", o.norm);
        get("dropout", o.dropout);
        get("init_type", o.init_type);
        get("init_gain", o.init_gain);
        if (j.contains("gan_mode")) o.gan_mode = parse_gan_objective(j.at("gan_mode").get<std::string>());
        get("lambda_L1", o.lambda_L1);
        get("lambda_gp", o.lambda_gp);
        get("lr", o.lr);
        get("beta1", o.beta1);
        get("beta2", o.beta2);
        get("n_epochs", o.n_epochs);
        get("n_epochs_decay", o.n_epochs_decay);
        get("direction", o.direction);
        if (j.contains("dataset_mode")) o.dataset_mode = parse_data_mode(j.at("dataset_mode").get<std::string>());
        get("load_size", o.load_size);
        get("crop_size", o.crop_size);
        // The reference's 286 / 256 ratio when only the crop is given.
        if (j.contains("crop_size") && !j.contains("load_size")) o.load_size = o.crop_size * 286 / 256;
        get("flip", o.flip);
        get("test_train_mode", o.test_train_mode);
        get("transpose_kernel", o.transpose_kernel);
        get("fused_adam", o.fused_adam);
        get("channels_last", o.channels_last);
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(std::string("pix2pix options: ") + e.what());
    }
    o.validate();
    return o;
}

}  // namespace ganvas
