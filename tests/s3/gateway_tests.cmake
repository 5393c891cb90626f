gwsync_test(s3_gateway_test LABEL gateway
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/client_gateway_test.cc
            LIBS gwsync_test_support)
