gwsync_test(session_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/bucket_settings_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/pair_lock_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/manifest_retention_test.cc
            LIBS gwsync_session)
gwsync_test(session_shard_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/shard_test.cc
            LIBS gwsync_sides gwsync_session)
# --all-versions: names, manifest records, pages and the listing's checks.
gwsync_test(session_versions_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/versions_test.cc
            LIBS gwsync_session gwsync_fake_s3 gwsync_test_support)
