// gzip_file: compresses a file with gzip, streaming it from disk through zlib::createGzip() and
// back to disk with backpressure, so memory stays flat whatever the file size (Node's zlib
// tutorial). Node.js:
//
//   const { pipeline } = require('node:stream');
//   pipeline(fs.createReadStream(input), zlib.createGzip({ level: 6 }),
//            fs.createWriteStream(output), (err) => {
//     if (err) { console.error('gzip_file:', err.message); process.exitCode = 1; }
//   });
//
//   gzip_file INPUT [OUTPUT] [LEVEL]   (default INPUT.gz, level 6; `gzip -d` reads the result)
#include <evnode/evnode.h>
#include <evnode/fs.h>
#include <evnode/zlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gzip_file INPUT [OUTPUT] [LEVEL]\n");
    return 2;
  }
  const std::string input = argv[1];
  const std::string output = argc > 2 ? argv[2] : input + ".gz";
  zlib::Options opts;
  opts.level = argc > 3 ? std::atoi(argv[3]) : 6;
  int status = 0;
  try {
    pipeline({fs::createReadStream(input), zlib::createGzip(opts), fs::createWriteStream(output)},
             [&](const Error& err) {
               if (err) {
                 std::fprintf(stderr, "gzip_file: %s\n", err.message.c_str());
                 status = 1;
               }
             });
  } catch (const Exception& e) {  // an invalid level
    std::fprintf(stderr, "gzip_file: %s\n", e.what());
    return 2;
  }
  run();
  return status;
}
