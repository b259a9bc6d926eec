#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/config/tls_settings.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace callmesh::ingress {

// The OpenSSL contexts of sofia's TLS transport, and the certificates in them.
//
// sofia-sip (Debian's 1.12.11) reads its certificate once, from a directory holding agent.pem
// (certificate and key in one file) and cafile.pem, when the transport is created, and has no
// call to read it again nor one to hand out its SSL_CTX. A transport cannot be replaced either
// (there is no public call to remove one primary transport). So the ingress catches the SSL_CTX
// objects sofia creates while it binds the TLS listener (an OpenSSL ex_data "new" callback runs
// for every SSL_CTX created; it records the ones created on this thread while a capture is open),
// and then sets the certificate, key, CAs and verification on those contexts itself, from the
// configured files (tls.crt, tls.key, ca.crt of a Kubernetes Secret). Every connection made or
// accepted after that takes the context's current certificate (OpenSSL copies it into each new
// SSL), so a renewed certificate is in use from the next handshake, with no restart and no
// connection cut.
class TlsContexts {
 public:
  // Opens a capture on this thread: SSL_CTX objects created until finish() are recorded.
  static void beginCapture();
  // Closes the capture; the contexts created since beginCapture (freed ones left out).
  static std::vector<SSL_CTX*> finishCapture();
};

// Loads `settings`' files and applies them to each context: certificate chain, key, trusted CAs
// (replacing the previous store), client certificate request (tls_client_cert) and verification.
// The files are loaded and checked (the key matches the certificate) on a scratch context before
// any of `contexts` is touched: a half-written or mismatched Secret is refused with an error
// naming the file and what OpenSSL said, and the certificate in use stays.
Status applyTlsFiles(const config::TlsSettings& settings, const std::vector<SSL_CTX*>& contexts);

// The subject names of a certificate file's leaf (SAN DNS and URI entries, then the CN), for logs.
std::vector<std::string> certificateSubjects(const std::string& cert_file);

// Watches files for replacement. A Kubernetes Secret volume is updated by swapping a symlink to
// a new directory, so the files' modification time, inode and size are compared, following
// links; a file that cannot be read reads as a change when it comes back.
class FileStamps {
 public:
  explicit FileStamps(std::vector<std::string> files);
  // True when any file differs from the last call (the first call only records).
  bool changed();

 private:
  struct Stamp {
    int64_t mtime_ns = -1;
    ino_t inode = 0;
    off_t size = -1;
    bool operator==(const Stamp& o) const {
      return mtime_ns == o.mtime_ns && inode == o.inode && size == o.size;
    }
  };
  std::vector<std::string> files_;
  std::vector<Stamp> stamps_;
  bool first_ = true;
};

}  // namespace callmesh::ingress
