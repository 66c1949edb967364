// ganvas: one binary, subcommands. Maps library errors to exit codes: 2 for usage errors,
// 1 for failures, 128 + signal for an interrupted run.
#include "cli_common.h"
#include "commands.h"
#include "local_launch.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image_header.h"
#include "ganvas/core/process.h"

#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <string>

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    ganvas::cli::program_arguments().assign(argv, argv + argc);
    spdlog::set_pattern("%^[%l]%$ %v");
    spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug

    CLI::App app{"ganvas: GAN image-to-image synthesis (colorization, pix2pix, SketchyGAN, ...; ganvas models lists them)", "ganvas"};
    app.set_version_flag("--version", "ganvas 0.1.0");
    app.set_config("--config", "", "read options from a TOML or INI file ([train] section etc.)");
    // A misspelled key in a config file is an error, not silently ignored.
    app.allow_config_extras(CLI::config_extras_mode::error);
    app.require_subcommand(1);
    // Global options may also follow the subcommand.
    app.fallthrough();
    ganvas::ImageLimits limits = ganvas::image_limits();
    double max_image_mb = static_cast<double>(limits.max_file_bytes) / (1 << 20);
    app.add_option("--max-image-pixels", limits.max_pixels,
                   "refuse images whose header declares more pixels (checked before decoding)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 34))
        ->envname("GANVAS_MAX_IMAGE_PIXELS")
        ->capture_default_str();
    app.add_option("--max-image-mb", max_image_mb, "refuse image files larger than this many MB")
        ->check(ganvas::cli::finite_range(0.001, 1 << 20))
        ->envname("GANVAS_MAX_IMAGE_MB")
        ->capture_default_str();
    app.add_option("--image-formats", limits.formats,
                   "image formats read, by content: png, jpeg, webp, bmp, tiff, pnm (default); also jpeg2000, "
                   "openexr, hdr, sunraster, pam, pfm when OpenCV has them")
        ->delimiter(',')
        ->envname("GANVAS_IMAGE_FORMATS");
    app.parse_complete_callback([&] {
        limits.max_file_bytes = static_cast<int64_t>(max_image_mb * (1 << 20));
        ganvas::set_image_limits(limits);
    });
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->each([](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); });

    ganvas::cli::register_models(app);
    ganvas::cli::register_train(app);
    ganvas::cli::register_colorize(app);
    ganvas::cli::register_translate(app);
    ganvas::cli::register_edges(app);
    ganvas::cli::register_eval(app);
    ganvas::cli::register_data(app);
    ganvas::cli::register_demo(app);
    ganvas::cli::register_compare(app);
    ganvas::cli::register_serve(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    } catch (const ganvas::UsageError& e) {
        spdlog::error("{}", e.what());
        return 2;
    } catch (const ganvas::Error& e) {
        spdlog::error("{}", e.what());
        return 1;
    } catch (const c10::Error& e) {
        spdlog::error("{}", e.what_without_backtrace());
        return 1;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    return ganvas::cli::exit_status();
}
