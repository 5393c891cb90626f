gwsync_test(cli_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
            LIBS gwsync_test_support)

add_test(NAME interop_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/interop_test.py)
set_tests_properties(interop_e2e PROPERTIES LABELS "gateway;e2e" ENVIRONMENT "")

gwsync_test(sync_cli_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync_cli_test.cc ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
            LIBS gwsync_test_support nlohmann_json::nlohmann_json)

gwsync_test(sync_delete_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync_delete_test.cc ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
            LIBS gwsync_test_support nlohmann_json::nlohmann_json)
# A second S3 implementation: moto's server, started and stopped by the test;
# needs no Ceph, hence "e2e" alone.
add_test(NAME moto_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/moto_test.py)
set_tests_properties(moto_e2e PROPERTIES LABELS e2e TIMEOUT 120)

# Sync at scale against a synthetic million-key bucket (no Ceph): flat peak
# RSS, the first GET before 5% of the listing, a complete 50 k-key backup.
add_test(NAME scale_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/scale_test.py)
set_tests_properties(scale_e2e PROPERTIES LABELS e2e TIMEOUT 300 RUN_SERIAL TRUE)

gwsync_test(sync_index_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync_index_test.cc ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
            LIBS gwsync_test_support nlohmann_json::nlohmann_json)

# A gateway that cannot be trusted (tests/support/hostile_s3.py, started and
# stopped by the test): endless listings, floods, lies about sizes.
add_test(NAME hostile_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/hostile_test.py)
set_tests_properties(hostile_e2e PROPERTIES LABELS e2e TIMEOUT 300)

# TLS with a private CA (nginx in front of the gateway) and secrets kept out
# of the command line.
add_test(NAME tls_secrets_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/tls_secrets_test.py)
set_tests_properties(tls_secrets_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
