gwsync_test(s3_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/uri_test.cc ${CMAKE_CURRENT_LIST_DIR}/signer_test.cc ${CMAKE_CURRENT_LIST_DIR}/signer_v2_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/addressing_test.cc ${CMAKE_CURRENT_LIST_DIR}/page_check_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/headers_test.cc
            LIBS gwsync_s3)
gwsync_test(s3_listing_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/listing_test.cc
            LIBS gwsync_fake_s3)
