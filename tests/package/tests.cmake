# The .deb, installed with apt-get and purged again (root, a test gateway in
# the environment). Label "package" alone, so `ctest -L unit` and `-L gateway`
# leave it out. RUN_SERIAL: while it runs, /usr/bin/gwsync is on everyone's
# PATH and it takes dpkg's lock, which tests that install packages wait for.
add_test(NAME package_deb COMMAND ${CMAKE_CURRENT_LIST_DIR}/package_test.sh ${PROJECT_BINARY_DIR})
set_tests_properties(package_deb PROPERTIES LABELS package TIMEOUT 900 RUN_SERIAL TRUE)
# What the .deb holds (built with cpack, read with dpkg-deb; no root, no
# gateway): the folders its units and cron line write into, the units, the
# examples. "e2e": it packages the built binary.
add_test(NAME package_contents COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/package_contents_test.py)
set_tests_properties(package_contents PROPERTIES LABELS e2e TIMEOUT 300
                     ENVIRONMENT "GWSYNC_BUILD_DIR=${PROJECT_BINARY_DIR}")
