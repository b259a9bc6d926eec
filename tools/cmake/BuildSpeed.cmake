# Build time, CI's above all (a fresh clone on 2 cores builds the tree three times: warnings as
# errors, ASan+UBSan, libFuzzer), without losing what the project reads debug info for: perf
# profiles, ASan/UBSan reports and backtraces need function names and file:line (inlined frames
# included), not a debugger's local variables. Measured on the 2-core development box:
# - line tables only (-g1) instead of -g: services/notification/http_session.cpp 24.1 -> 18.6 s,
#   services/ingress/sip_proxy.cpp 6.5 -> 5.0 s (-O2); objects about half the size;
# - lld instead of GNU ld (tools/install-deps.sh installs it; GNU ld when it is missing): linking
#   callmesh-notification (133 MB with -g) 4.35 -> 0.91 s, and the tree links ~45 executables.
# -DCM_FULL_DEBUG_INFO=ON gives full -g back for a debugging session.
option(CM_FULL_DEBUG_INFO "Full debug info (-g) instead of line tables only (-g1)" OFF)
if(NOT CM_FULL_DEBUG_INFO)
  foreach(lang C CXX)
    foreach(config DEBUG RELWITHDEBINFO)
      string(REGEX REPLACE "(^| )-g( |$)" "\\1-g1\\2" CMAKE_${lang}_FLAGS_${config}
                           "${CMAKE_${lang}_FLAGS_${config}}")
    endforeach()
  endforeach()
endif()

include(CheckLinkerFlag)
check_linker_flag(CXX "-fuse-ld=lld" CM_HAVE_LLD)
if(CM_HAVE_LLD)
  add_link_options(-fuse-ld=lld)
endif()
