// PNG files that say where they came from: text chunks (tEXt, ISO 8859-1 keyword and text) put
// after the header chunk of an encoded PNG, and read back.
#pragma once
#include <opencv2/core.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ganvas {

using PngText = std::vector<std::pair<std::string, std::string>>;

// `png` (a whole PNG file) with a tEXt chunk per entry after IHDR. Keywords are 1-79 printable
// Latin-1 characters; text must not contain a NUL (std::invalid_argument otherwise). Error when
// `png` does not start with a PNG signature and IHDR.
std::string png_with_text(const std::string& png, const PngText& text);

// 8-bit RGB -> PNG bytes with the text chunks; the same image and text always give the same bytes.
std::string encode_png(const cv::Mat& rgb, const PngText& text = {});

// The tEXt chunks of a PNG file, keyword -> text (later duplicates win); Error when the bytes are
// not a well-formed PNG chunk sequence with valid CRCs.
std::map<std::string, std::string> read_png_text(const std::string& png);

}  // namespace ganvas
