#include "services/ingress/tls_contexts.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>

namespace callmesh::ingress {

namespace {

// Contexts seen created while a capture was open on the creating thread; freed ones leave.
std::mutex g_mutex;
std::set<SSL_CTX*> g_live;                   // captured and not yet freed
thread_local std::vector<SSL_CTX*>* t_open;  // this thread's open capture, if any
int g_index = -1;

void onNew(void* parent, void*, CRYPTO_EX_DATA*, int, long, void*) {
  if (!t_open || !parent) return;
  auto* ctx = static_cast<SSL_CTX*>(parent);
  t_open->push_back(ctx);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_live.insert(ctx);
}

void onFree(void* parent, void*, CRYPTO_EX_DATA*, int, long, void*) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_live.erase(static_cast<SSL_CTX*>(parent));
}

std::string opensslErrors() {
  std::string out;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("unreadable") : out;
}

Error fileError(const std::string& what, const std::string& file) {
  return Error{ErrorKind::InvalidInput, what + ": " + opensslErrors(), file};
}

// Our verification, replacing sofia's (which forgives an untrusted client certificate when
// incoming verification is off, and would then let it name a trunk): a certificate presented
// must chain to tls_ca_file and be in date, in both directions.
int verifyCallback(int preverify_ok, X509_STORE_CTX*) { return preverify_ok; }

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};

Result<X509_STORE*> loadStore(const std::string& ca_file) {
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  if (!store) return fileError("cannot allocate a CA store", ca_file);
  if (X509_STORE_load_file(store.get(), ca_file.c_str()) != 1)
    return fileError("cannot read the CA certificates", ca_file);
  return store.release();
}

// Certificate chain and key into `ctx`; false with the error when either is refused.
Status loadIdentity(SSL_CTX* ctx, const config::TlsSettings& s) {
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1)
    return fileError("cannot read the certificate chain", s.cert_file);
  if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL checks the pair as it loads the key: say which of the two went wrong.
    bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    return fileError(
        mismatch ? "the private key does not match the certificate" : "cannot read the private key",
        s.key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fileError("the private key does not match the certificate", s.key_file);
  return {};
}

}  // namespace

void TlsContexts::beginCapture() {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_index < 0) {
      g_index =
          CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, nullptr, onNew, nullptr, onFree);
    }
  }
  static thread_local std::vector<SSL_CTX*> captured;
  captured.clear();
  t_open = &captured;
}

std::vector<SSL_CTX*> TlsContexts::finishCapture() {
  std::vector<SSL_CTX*> out;
  if (!t_open) return out;
  std::lock_guard<std::mutex> lock(g_mutex);
  for (SSL_CTX* ctx : *t_open) {
    if (g_live.count(ctx)) out.push_back(ctx);
  }
  t_open = nullptr;
  return out;
}

Status applyTlsFiles(const config::TlsSettings& s, const std::vector<SSL_CTX*>& contexts) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> scratch(SSL_CTX_new(TLS_method()));
  if (!scratch) return fileError("cannot create a TLS context", s.cert_file);
  if (auto st = loadIdentity(scratch.get(), s); !st.ok()) return st;
  bool verify = s.verify_server || s.client_cert != "none";
  if (verify) {
    auto store = loadStore(s.ca_file);
    if (!store.ok()) return store.error();
    X509_STORE_free(store.value());
  }
  for (SSL_CTX* ctx : contexts) {
    if (auto st = loadIdentity(ctx, s); !st.ok()) return st;  // checked above: not expected
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "HIGH:!aNULL:!MD5");
    if (verify) {
      auto store = loadStore(s.ca_file);
      if (!store.ok()) return store.error();
      SSL_CTX_set_cert_store(ctx, store.value());  // frees the previous store
    }
    int mode = SSL_VERIFY_NONE;
    if (s.client_cert != "none") {
      mode = SSL_VERIFY_PEER;
      if (s.client_cert == "required") mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca_file.c_str());
      if (names) SSL_CTX_set_client_CA_list(ctx, names);
    }
    // Outbound legs are checked by sofia after the handshake (TPTAG_TLS_VERIFY_POLICY: the
    // chain result and the target's name among the certificate's subjects) before any byte of
    // SIP is sent; with mode NONE the chain is still verified and its result kept for that.
    SSL_CTX_set_verify(ctx, mode, verifyCallback);
    SSL_CTX_set_verify_depth(ctx, 5);
  }
  return {};
}

std::vector<std::string> certificateSubjects(const std::string& cert_file) {
  std::vector<std::string> out;
  FILE* f = std::fopen(cert_file.c_str(), "r");
  if (!f) return out;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) return out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && out.size() < 16; ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS || n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->type == GEN_DNS ? n->d.dNSName : n->d.uniformResourceIdentifier;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
    }
  }
  GENERAL_NAMES_free(names);
  char cn[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)) > 0)
    out.emplace_back(cn);
  X509_free(cert);
  return out;
}

FileStamps::FileStamps(std::vector<std::string> files)
    : files_(std::move(files)), stamps_(files_.size()) {}

bool FileStamps::changed() {
  bool any = false;
  for (size_t i = 0; i < files_.size(); ++i) {
    Stamp now;
    struct stat st {};
    if (!files_[i].empty() && ::stat(files_[i].c_str(), &st) == 0) {
      now.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
      now.inode = st.st_ino;
      now.size = st.st_size;
    }
    if (!(now == stamps_[i])) any = true;
    stamps_[i] = now;
  }
  bool report = any && !first_;
  first_ = false;
  return report;
}

}  // namespace callmesh::ingress
