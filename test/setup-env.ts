// Runs before every suite: keep test output free of the SDK's Node 20 deprecation notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
