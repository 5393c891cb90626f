add_test(NAME synthetic_s3_selftest COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/synthetic_s3_test.py)
set_tests_properties(synthetic_s3_selftest PROPERTIES LABELS unit)
