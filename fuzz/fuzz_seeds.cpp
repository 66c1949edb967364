// Writes the seed corpus of every fuzz target under OUT/<target>/, from the test fixtures (the
// .pth files the tests read) and from files made here the way the tests make theirs.
//   fuzz_seeds OUT FIXTURES_DIR
#include <caffe2/serialize/inline_container.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: fuzz_seeds OUT FIXTURES_DIR\n";
        return 2;
    }
    const fs::path out = argv[1], fixtures = argv[2];

    // .pth: the fixtures as they are, and their pickles alone.
    int pth = 0;
    for (const auto& entry : fs::directory_iterator(fixtures / "pth")) {
        if (entry.path().extension() != ".pth") continue;
        const std::string bytes = read(entry.path());
        write(out / "fuzz_pth", entry.path().filename().string(), bytes);
        try {
            caffe2::serialize::PyTorchStreamReader zip(entry.path().string());
            auto [data, size] = zip.getRecord("data.pkl");
            write(out / "fuzz_unpickle", entry.path().stem().string() + ".pkl",
                  std::string(static_cast<const char*>(data.get()), size));
        } catch (const c10::Error&) {
            // the legacy fixture has no zip
        }
        ++pth;
    }
    // Pickles of the shapes torch.save writes, for the storages the fuzzer's archive holds.
    write(out / "fuzz_unpickle", "empty_dict.pkl", std::string("\x80\x02}q\x00.", 6));
    write(out / "fuzz_unpickle", "nested.pkl", std::string("\x80\x02}q\x00(X\x01\x00\x00\x00a]q\x01(K\x01K\x02eu.", 21));

    // Checkpoint headers, one record per line, as fuzz_checkpoint reads them.
    write(out / "fuzz_checkpoint", "resumable.txt",
          "1\npix2pix\n{\"norm\":\"batch\",\"widths\":[8,16]}\n"
          "{\"step\":10,\"epoch\":0,\"examples_in_epoch\":32,\"world_size\":1,\"seconds\":3.5,"
          "\"train\":{\"data\":\"d\",\"out\":\"o\",\"steps\":20,\"batch\":4,\"workers\":2}}\n");
    write(out / "fuzz_checkpoint", "old.txt",
          "1\ncolorizer\n{}\n{\"step\":3,\"epoch\":1,\"batch_in_epoch\":2,"
          "\"train\":{\"data\":\"d\",\"out\":\"o\",\"epochs\":2,\"batch\":8}}\n");

    // Images: one picture in every format ganvas reads, plus an alpha PNG and a gray one.
    cv::Mat bgr(16, 24, CV_8UC3);
    cv::randu(bgr, 0, 255);
    cv::Mat bgra;
    cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
    cv::Mat gray;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    const std::vector<std::pair<std::string, cv::Mat>> images = {
        {".png", bgr}, {".jpg", bgr}, {".webp", bgr}, {".bmp", bgr}, {".tiff", bgr}, {".ppm", bgr}, {".pgm", gray}};
    for (const auto& [ext, image] : images) {
        std::vector<uchar> bytes;
        cv::imencode(ext, image, bytes);
        write(out / "fuzz_image", "seed" + ext, std::string(bytes.begin(), bytes.end()));
    }
    {
        std::vector<uchar> bytes;
        cv::imencode(".png", bgra, bytes);
        write(out / "fuzz_image", "alpha.png", std::string(bytes.begin(), bytes.end()));
    }

    // BSDS annotations: thin boundaries on black, as the human annotations are.
    cv::Mat boundary = cv::Mat::zeros(32, 32, CV_8U);
    cv::line(boundary, {2, 3}, {29, 28}, 255);
    cv::circle(boundary, {16, 16}, 9, 255);
    {
        std::vector<uchar> bytes;
        cv::imencode(".png", boundary, bytes);
        write(out / "fuzz_bsds_gt", "lines.png", std::string(bytes.begin(), bytes.end()));
    }

    // Configuration text: TOML and INI as `ganvas --config` reads them, and --set lines.
    write(out / "fuzz_config", "train.toml", "[train]\nsteps = 100\nval-ratio = 0.1\nout = \"runs/a\"\nset = [\"lambda_l1=10\", \"widths=[8,16]\"]\n");
    write(out / "fuzz_config", "train.ini", "[train]\nsteps=5\nresume=true\n");
    write(out / "fuzz_config", "set.txt", "lambda_l1=50\nnorm=instance\nuse_dropout=false\nscales=[0.5,1.0]\nclasses=[\"shoe\"]\n");
    std::cout << "fuzz_seeds: corpora in " << out.string() << " (" << pth << " .pth fixtures)\n";
    return 0;
}
