gwsync_test(s3_xml_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/xml_test.cc ${CMAKE_CURRENT_LIST_DIR}/errors_test.cc LIBS gwsync_s3)
