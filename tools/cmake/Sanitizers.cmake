# CM_SANITIZE="address;undefined" instruments every target (userver's USERVER_SANITIZE shape).
if(CM_SANITIZE)
  foreach(san IN LISTS CM_SANITIZE)
    add_compile_options(-fsanitize=${san})
    add_link_options(-fsanitize=${san})
  endforeach()
  add_compile_options(-fno-omit-frame-pointer -fno-sanitize-recover=undefined)
endif()
