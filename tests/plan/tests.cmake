gwsync_test(plan_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/plan_test.cc LIBS gwsync_plan)
