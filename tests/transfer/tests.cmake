gwsync_test(transfer_gateway_test LABEL gateway
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/object_transfer_gateway_test.cc
            LIBS gwsync_test_support)
gwsync_test(resume_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/resume_test.cc
            LIBS gwsync_transfer)
gwsync_test(transfer_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/zstd_stream_test.cc
            LIBS gwsync_transfer)
gwsync_test(transfer_files_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/files_test.cc
            LIBS gwsync_transfer)
gwsync_test(transfer_bulk_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/bulk_test.cc
            LIBS gwsync_transfer gwsync_fake_s3)
gwsync_test(transfer_machine_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/machine_test.cc
            LIBS gwsync_transfer gwsync_fake_transport)
gwsync_test(transfer_multipart_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/multipart_test.cc
            LIBS gwsync_transfer gwsync_fake_transport)
gwsync_test(transfer_etag_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/etag_test.cc
            LIBS gwsync_transfer gwsync_test_support)
gwsync_test(transfer_upload_change_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/upload_change_test.cc
            LIBS gwsync_transfer gwsync_fake_s3 gwsync_test_support)
