# callmesh_unit_test(NAME <target> SOURCES ... LIBS ... [PREFIX <text>]): one gtest binary,
# registered with label unit. PREFIX starts every test's ctest name (`ctest -R ingress` selects
# the ingress's tests).
function(callmesh_unit_test)
  cmake_parse_arguments(T "" "NAME;PREFIX" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  if(T_PREFIX)
    gtest_discover_tests(${T_NAME} TEST_PREFIX ${T_PREFIX} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
  else()
    gtest_discover_tests(${T_NAME} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# callmesh_integration_test(NAME <target> SOURCES ... LIBS ...): gtest against real redis/zmq; label integration.
function(callmesh_integration_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} callmesh::testing GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS integration DISCOVERY_TIMEOUT 60
    ENVIRONMENT "CALLMESH_REDIS_SERVER=${REDIS_SERVER_EXECUTABLE}")
endfunction()
