// net::internal::sendFile: the entry points other modules use; FileSender does the work.
#include "net/send_file.h"

#include "net/file_sender.h"

namespace evnode::net::internal {

bool canSendFile(const Socket& socket) { return FileSender::usable(socket); }

void sendFile(const std::shared_ptr<Socket>& socket, int fd, std::uint64_t offset,
              std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb) {
  FileSender::send(socket, fd, offset, length, std::move(cb));
}

}  // namespace evnode::net::internal
