// URLSearchParams (URL Standard section 6.2) and the application/x-www-form-urlencoded parser
// and serializer (section 5).
#include <algorithm>
#include <cstdint>

#include "evnode/url.h"
#include "url/percent.h"
#include "url/record.h"

namespace evnode {

namespace {

// '+' is a space, then percent-decoding, then UTF-8 (invalid bytes become U+FFFD).
std::string formDecode(std::string_view s) {
  std::string plus(s);
  std::replace(plus.begin(), plus.end(), '+', ' ');
  return url::toUSVString(url::percentDecode(plus));
}

// The string as UTF-16 code units, for sort(): JavaScript compares strings by code unit, which
// puts U+10000 and above (surrogates, 0xD800-0xDFFF) before U+E000-U+FFFF.
std::u16string toUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::uint32_t cp;
    int len;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if (b < 0xE0) {
      cp = b & 0x1F;
      len = 2;
    } else if (b < 0xF0) {
      cp = b & 0x0F;
      len = 3;
    } else {
      cp = b & 0x07;
      len = 4;
    }
    for (int k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

}  // namespace

std::vector<URLSearchParams::value_type> URLSearchParams::parse(std::string_view query) {
  std::vector<value_type> list;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view sequence = query.substr(start, amp - start);
    start = amp + 1;
    if (sequence.empty()) continue;
    auto eq = sequence.find('=');
    std::string_view name = sequence.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : sequence.substr(eq + 1);
    list.emplace_back(formDecode(name), formDecode(value));
  }
  return list;
}

URLSearchParams::URLSearchParams(std::string_view init) {
  if (!init.empty() && init.front() == '?') init.remove_prefix(1);
  list_ = parse(init);
}

URLSearchParams::URLSearchParams(std::vector<value_type> init) : list_(std::move(init)) {
  for (auto& [name, value] : list_) {
    name = url::toUSVString(name);
    value = url::toUSVString(value);
  }
}

URLSearchParams::URLSearchParams(
    std::initializer_list<std::pair<std::string_view, std::string_view>> init) {
  for (const auto& [name, value] : init)
    list_.emplace_back(url::toUSVString(name), url::toUSVString(value));
}

URLSearchParams& URLSearchParams::operator=(const URLSearchParams& other) {
  if (this != &other) {
    list_ = other.list_;
    update();
  }
  return *this;
}

void URLSearchParams::update() {
  if (!url_) return;
  std::string query = toString();
  if (query.empty()) {
    url_->rec_.query.reset();
    url::stripTrailingSpacesFromOpaquePath(url_->rec_);
  } else {
    url_->rec_.query = std::move(query);
  }
}

void URLSearchParams::append(std::string_view name, std::string_view value) {
  list_.emplace_back(url::toUSVString(name), url::toUSVString(value));
  update();
}

void URLSearchParams::delete_(std::string_view name, std::optional<std::string_view> value) {
  std::string n = url::toUSVString(name);
  std::optional<std::string> v;
  if (value) v = url::toUSVString(*value);
  std::erase_if(list_, [&](const value_type& p) { return p.first == n && (!v || p.second == *v); });
  update();
}

std::optional<std::string> URLSearchParams::get(std::string_view name) const {
  std::string n = url::toUSVString(name);
  for (const auto& [k, v] : list_) {
    if (k == n) return v;
  }
  return std::nullopt;
}

std::vector<std::string> URLSearchParams::getAll(std::string_view name) const {
  std::string n = url::toUSVString(name);
  std::vector<std::string> out;
  for (const auto& [k, v] : list_) {
    if (k == n) out.push_back(v);
  }
  return out;
}

bool URLSearchParams::has(std::string_view name, std::optional<std::string_view> value) const {
  std::string n = url::toUSVString(name);
  std::optional<std::string> v;
  if (value) v = url::toUSVString(*value);
  return std::any_of(list_.begin(), list_.end(),
                     [&](const value_type& p) { return p.first == n && (!v || p.second == *v); });
}

void URLSearchParams::set(std::string_view name, std::string_view value) {
  std::string n = url::toUSVString(name);
  std::string v = url::toUSVString(value);
  auto first =
      std::find_if(list_.begin(), list_.end(), [&](const value_type& p) { return p.first == n; });
  if (first == list_.end()) {
    list_.emplace_back(std::move(n), std::move(v));
  } else {
    first->second = std::move(v);
    list_.erase(
        std::remove_if(first + 1, list_.end(), [&](const value_type& p) { return p.first == n; }),
        list_.end());
  }
  update();
}

void URLSearchParams::sort() {
  std::vector<std::pair<std::u16string, std::size_t>> keys;
  keys.reserve(list_.size());
  for (std::size_t i = 0; i < list_.size(); ++i) keys.emplace_back(toUtf16(list_[i].first), i);
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<value_type> sorted;
  sorted.reserve(list_.size());
  for (const auto& k : keys) sorted.push_back(std::move(list_[k.second]));
  list_ = std::move(sorted);
  update();
}

std::string URLSearchParams::toString() const {
  std::string out;
  for (const auto& [name, value] : list_) {
    if (!out.empty()) out += '&';
    url::appendFormEncoded(out, name);
    out += '=';
    url::appendFormEncoded(out, value);
  }
  return out;
}

std::vector<std::string> URLSearchParams::keys() const {
  std::vector<std::string> out;
  out.reserve(list_.size());
  for (const auto& p : list_) out.push_back(p.first);
  return out;
}

std::vector<std::string> URLSearchParams::values() const {
  std::vector<std::string> out;
  out.reserve(list_.size());
  for (const auto& p : list_) out.push_back(p.second);
  return out;
}

void URLSearchParams::forEach(
    const std::function<void(const std::string& value, const std::string& name)>& fn) const {
  for (const auto& [name, value] : list_) fn(value, name);
}

}  // namespace evnode
