gwsync_test(config_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_test.cc LIBS gwsync_config)
