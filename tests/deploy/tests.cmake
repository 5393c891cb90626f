# The Kubernetes manifests, checked without a cluster.
add_test(NAME k8s_manifest_test COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/k8s_manifest_test.py)
set_tests_properties(k8s_manifest_test PROPERTIES LABELS unit)
