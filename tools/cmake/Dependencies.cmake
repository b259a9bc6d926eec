# Every external dependency, found the way DEPS.md records for Debian 12.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(CapnProto 0.9 CONFIG REQUIRED)
find_package(cppzmq 4.9 CONFIG REQUIRED)
# hiredis 0.14 ships a broken version file: pkg-config only (DEPS.md gotcha 6).
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis>=0.14)
# prometheus-cpp ships no version file: never pass a version (DEPS.md gotcha 9).
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(GTest 1.12 CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
# libcrypto (Debian libssl-dev 3.0): SIP digest hashes and nonce HMACs (services/ingress/sip_digest.h).
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto SSL)
pkg_check_modules(SOFIA REQUIRED IMPORTED_TARGET sofia-sip-ua>=1.12)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# Boost.Asio + Beast (header-only, Debian libboost-dev 1.74): the notification API's event-driven
# HTTP transport (services/notification/README.md says why).
find_package(Boost 1.74 REQUIRED)
# The ingress's allocator (services/ingress/CMakeLists.txt says why); sanitizer builds keep theirs.
if(NOT CM_SANITIZE)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc>=5)
endif()
find_library(PHONENUMBER_LIB phonenumber REQUIRED)
find_program(CAPNP_EXECUTABLE capnp REQUIRED)
find_program(SIPP_EXECUTABLE sipp REQUIRED)
find_program(REDIS_SERVER_EXECUTABLE redis-server REQUIRED)
include(GoogleTest)
