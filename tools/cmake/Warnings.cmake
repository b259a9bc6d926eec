# Project-wide warning flags; CI turns them into errors with -DCM_WERROR=ON.
add_compile_options(-Wall -Wextra)
if(CM_WERROR)
  add_compile_options(-Werror)
endif()
