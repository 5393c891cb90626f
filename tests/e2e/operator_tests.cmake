# The operator's tool: the s3cmd runbook both ways, the nightly
# job's metrics and log, and gwsync doctor, against the real gateway.
add_test(NAME runbook_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/runbook_test.py)
set_tests_properties(runbook_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
add_test(NAME nightly_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/nightly_test.py)
set_tests_properties(nightly_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
add_test(NAME doctor_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/doctor_test.py)
set_tests_properties(doctor_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# The nightly service's ExecStart= and the cron line run as written (systemd-run
# where systemd is the init, otherwise directly with the unit's environment).
add_test(NAME nightly_unit_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/nightly_unit_test.py)
set_tests_properties(nightly_unit_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# The nightly guide (docs/guide/nightly.md) followed as written on a machine set up from
# the .deb (built here with cpack, unpacked into a scratch root), and the
# package's cron line, against the real gateway.
add_test(NAME nightly_runbook_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/nightly_runbook_test.py)
set_tests_properties(nightly_runbook_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300
                     ENVIRONMENT "GWSYNC_BUILD_DIR=${PROJECT_BINARY_DIR}")
