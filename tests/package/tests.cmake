# The .deb (cpack, dpkg -x into a scratch folder: no root needed). Label
# "package" alone, so `ctest -L unit` and `-L gateway` leave it out; it runs
# its round trip when a test gateway is in the environment.
add_test(NAME package_deb COMMAND ${CMAKE_CURRENT_LIST_DIR}/package_test.sh ${PROJECT_BINARY_DIR})
set_tests_properties(package_deb PROPERTIES LABELS package TIMEOUT 600)
