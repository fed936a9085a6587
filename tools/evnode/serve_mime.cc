// The extension → Content-Type table of `evnode serve` (what browsers need to render, play or
// download a file; the WHATWG/IANA registrations, as nginx's mime.types uses them).
#include "tools/evnode/serve_mime.h"

#include <utility>

namespace evnode::cli::serve {

namespace {

constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
    // Text (served as UTF-8; XML and SVG declare their own encoding)
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"json", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"webmanifest", "application/manifest+json; charset=utf-8"},
    // Images
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"ico", "image/x-icon"},
    // Audio and video
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"flac", "audio/flac"},
    {"m4a", "audio/mp4"},
    // Fonts
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    // Documents, code and archives (never Content-Encoding: a .gz is downloaded as it is)
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"},
    {"7z", "application/x-7z-compressed"},
};

bool equalsLower(std::string_view ext, std::string_view lowerName) {
  if (ext.size() != lowerName.size()) return false;
  for (std::size_t i = 0; i < ext.size(); ++i) {
    char c = ext[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lowerName[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view contentTypeFor(std::string_view fileName) {
  auto dot = fileName.rfind('.');
  // ".bashrc" is a hidden name, not an extension.
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
  std::string_view ext = fileName.substr(dot + 1);
  for (const auto& [e, type] : kTypes) {
    if (equalsLower(ext, e)) return type;
  }
  return "application/octet-stream";
}

}  // namespace evnode::cli::serve
