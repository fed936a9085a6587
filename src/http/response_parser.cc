// ResponseParser: the public face of the client's ResponseReader (one more pointer, nothing else).
#include "evnode/http_parser.h"

#include "http/response_reader.h"

namespace evnode::http {

namespace {

Limits limitsOf(const ResponseParser::Options& o) {
  Limits l;
  l.maxHeaderSize = o.maxHeaderSize;
  l.maxHeadersCount = o.maxHeadersCount;
  return l;
}

// execute() and finish() hand the reader's steps on as they are.
static_assert(static_cast<int>(ResponseParser::Step::kError) ==
                  static_cast<int>(ResponseReader::Step::kError) &&
              static_cast<int>(ResponseParser::Step::kHead) ==
                  static_cast<int>(ResponseReader::Step::kHead) &&
              static_cast<int>(ResponseParser::Step::kEnd) ==
                  static_cast<int>(ResponseReader::Step::kEnd));

}  // namespace

ResponseParser::ResponseParser() : ResponseParser(Options{}) {}
ResponseParser::ResponseParser(const Options& options)
    : reader_(std::make_unique<ResponseReader>(limitsOf(options))) {}
ResponseParser::~ResponseParser() = default;
ResponseParser::ResponseParser(ResponseParser&&) noexcept = default;
ResponseParser& ResponseParser::operator=(ResponseParser&&) noexcept = default;

void ResponseParser::expect(bool head, bool connect) { reader_->expect(head, connect); }

ResponseParser::Step ResponseParser::execute(Buffer& in) {
  return static_cast<Step>(reader_->next(in));
}

ResponseParser::Step ResponseParser::finish() { return static_cast<Step>(reader_->finish()); }

int ResponseParser::statusCode() const { return reader_->head().status; }
std::string_view ResponseParser::statusMessage() const { return reader_->head().reason; }
int ResponseParser::httpVersionMinor() const { return reader_->head().versionMinor; }
std::span<const HeaderField> ResponseParser::headers() const { return reader_->head().headers; }
bool ResponseParser::informational() const { return reader_->informational(); }
bool ResponseParser::upgraded() const { return reader_->switched(); }
bool ResponseParser::keepAlive() const { return reader_->reusable(); }
bool ResponseParser::midResponse() const { return reader_->midResponse(); }
const Buffer& ResponseParser::body() const { return reader_->body(); }
std::span<const HeaderField> ResponseParser::trailers() const { return reader_->trailers(); }
std::string_view ResponseParser::errorCode() const { return parseErrorName(reader_->error()); }
std::string_view ResponseParser::errorReason() const { return parseErrorReason(reader_->error()); }

}  // namespace evnode::http
