gwsync_test(cli_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc ${CMAKE_CURRENT_LIST_DIR}/cli_args_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
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

# Interrupted backups resume (SIGKILL) or clean up (SIGINT, SIGTERM). Counts
# the first gateway's get_b, so nothing runs beside it.
add_test(NAME resume_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/resume_test.py)
set_tests_properties(resume_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300 RUN_SERIAL TRUE)

# One run per pair (--wait-lock, exit 75). Counts get_b too.
add_test(NAME pair_lock_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/pair_lock_test.py)
set_tests_properties(pair_lock_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300 RUN_SERIAL TRUE)

# --keep-manifests: N + 2 backups leave N run manifests; verify still passes.
add_test(NAME keep_manifests_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/keep_manifests_test.py)
set_tests_properties(keep_manifests_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 120)

# Bucket settings saved by a backup and re-applied by a restore that creates
# the bucket, read back with boto3.
add_test(NAME bucket_settings_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/bucket_settings_test.py)
# RUN_SERIAL: one test backs up every bucket of the gateway.
set_tests_properties(bucket_settings_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300 RUN_SERIAL TRUE)

# put --zstd / get through stdin and stdout: byte-exact, bounded memory.
add_test(NAME zstd_stream_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/zstd_stream_test.py)
set_tests_properties(zstd_stream_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 600 RUN_SERIAL TRUE)

gwsync_test(sync_shard_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync_shard_test.cc ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
            LIBS gwsync_test_support nlohmann_json::nlohmann_json)

# A sharded backup on a real one-node Slurm of its own (tools/slurm-test.sh:
# installs slurm and munge from Debian if missing, its own gateway on port
# 7980, needs root); about 25-40 s.
add_test(NAME slurm_e2e COMMAND ${PROJECT_SOURCE_DIR}/tools/slurm-test.sh --dir /tmp/gwsync-slurm-ctest)
set_tests_properties(slurm_e2e PROPERTIES LABELS slurm TIMEOUT 180 RUN_SERIAL TRUE
                     ENVIRONMENT "GWSYNC_BIN=$<TARGET_FILE:gwsync>")

gwsync_test(verify_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/verify_test.cc ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
            LIBS gwsync_test_support nlohmann_json::nlohmann_json PkgConfig::ZSTD)

gwsync_test(sync_fs_safety_e2e_test LABEL "gateway;e2e"
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync_fs_safety_test.cc ${CMAKE_CURRENT_LIST_DIR}/run_gwsync.cc
            LIBS gwsync_test_support nlohmann_json::nlohmann_json)

# Bucket names a folder cannot hold, from a stand-in gateway (no Ceph).
add_test(NAME bucket_names_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/bucket_names_test.py)
set_tests_properties(bucket_names_e2e PROPERTIES LABELS e2e TIMEOUT 120)

# A gateway that cannot be trusted (tests/support/hostile_s3.py, started and
# stopped by the test): endless listings, floods, lies about sizes.
add_test(NAME hostile_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/hostile_test.py)
set_tests_properties(hostile_e2e PROPERTIES LABELS e2e TIMEOUT 300)

# TLS with a private CA (nginx in front of the gateway) and secrets kept out
# of the command line.
add_test(NAME tls_secrets_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/tls_secrets_test.py)
set_tests_properties(tls_secrets_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)

# Many multipart-sized objects: the thread count and RSS stay flat (no
# thread per object).
add_test(NAME flat_threads_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/flat_threads_test.py)
set_tests_properties(flat_threads_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# One verdict against RGW: boto3's parts through a byte-flipping proxy, an odd part size.
add_test(NAME verdict_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/verdict_test.py)
set_tests_properties(verdict_e2e PROPERTIES LABELS "gateway;e2e")
# A backup gives the bucket back: every kind of key, headers, metadata and
# tags, restored and copied, compared with boto3; against RGW and moto.
add_test(NAME roundtrip_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/roundtrip_test.py)
set_tests_properties(roundtrip_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# The state folder is gwsync's alone: planted links refused, look-alike
# temporaries and .gwsync.rclonelink objects are a user's.
add_test(NAME state_folder_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/state_folder_test.py)
set_tests_properties(state_folder_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# A versioned bucket's history: backed up with --all-versions, verified,
# restored into a new bucket and compared per key with boto3; the notice
# that counts what a plain backup leaves; against RGW and moto.
add_test(NAME versions_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/versions_test.py)
set_tests_properties(versions_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 600)
# A local user swaps a folder for a link, or a file for a FIFO, under a
# running upload as root: nothing behind the link goes up, nothing blocks.
add_test(NAME source_swap_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/source_swap_test.py)
set_tests_properties(source_swap_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# A sync's exit codes: 0, 1, 2, 3 and the report and metrics that carry them.
add_test(NAME exit_codes_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/exit_codes_test.py)
set_tests_properties(exit_codes_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# Headers, metadata and tags through a backup on ramfs (no user xattrs), as root.
add_test(NAME headers_no_xattr_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/headers_no_xattr_test.py)
set_tests_properties(headers_no_xattr_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
# A web server that is not S3 (python's http.server, started by the test) is
# named as such, not taken for a missing bucket; RGW's missing bucket still is.
add_test(NAME not_s3_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/not_s3_test.py)
set_tests_properties(not_s3_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 120)
# verify --content reads what it proves: a --no-index backup's manifest has ETags.
add_test(NAME verify_content_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/verify_content_test.py)
set_tests_properties(verify_content_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 300)
