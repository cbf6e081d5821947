#include "core/content_hash.h"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace loctex::core {
namespace {

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct FileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// The streaming EVP interface, so that strings and files share one code path.
class Sha256 {
 public:
  Sha256() : m_context(EVP_MD_CTX_new()) {
    if (!m_context || EVP_DigestInit_ex(m_context.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("SHA-256: cannot initialise OpenSSL digest");
    }
  }

  void update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(m_context.get(), data, size) != 1) {
      throw std::runtime_error("SHA-256: OpenSSL digest update failed");
    }
  }

  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(m_context.get(), digest.data(), &size) != 1) {
      throw std::runtime_error("SHA-256: OpenSSL digest finalisation failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (unsigned int i = 0; i < size; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 0x0f];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, DigestContextFree> m_context;
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hex();
}

std::string sha256_file(const std::filesystem::path& path) {
  // stdio rather than ifstream: it sets errno, so the error can say why.
  errno = 0;
  std::unique_ptr<std::FILE, FileClose> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    throw std::system_error(errno, std::generic_category(), "cannot open " + path.string() + " to hash it");
  Sha256 sha;
  std::array<char, 1 << 16> buffer;
  for (;;) {
    errno = 0;
    const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (got > 0) sha.update(buffer.data(), got);
    if (got < buffer.size()) {
      if (std::ferror(file.get())) {
        throw std::system_error(errno, std::generic_category(),
                                "cannot read " + path.string() + " to hash it");
      }
      break;
    }
  }
  return sha.hex();
}

}  // namespace loctex::core
