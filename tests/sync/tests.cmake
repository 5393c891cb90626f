gwsync_test(sync_gateway_test LABEL gateway SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync_gateway_test.cc
            LIBS gwsync_test_support gwsync_sync)
gwsync_test(sync_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/metadata_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/delete_limit_test.cc
            LIBS gwsync_sync)
gwsync_test(sync_stream_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/stream_test.cc
            LIBS gwsync_sides gwsync_sync)
# RunSync whole against FakeS3 and a fault-injecting file system (no Ceph).
gwsync_test(sync_pipeline_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/pipeline_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_delete_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_index_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_change_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_attrs_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_keystore_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_source_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_resume_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_feed_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_digest_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/pipeline_graph_test.cc
            LIBS gwsync_session gwsync_fake_s3 gwsync_test_support)
# One verdict across sync, index, manifest and verify (FakeS3, no Ceph).
gwsync_test(sync_verdict_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/pipeline_verdict_test.cc
            LIBS gwsync_verify gwsync_session gwsync_fake_s3 gwsync_test_support)
