/** The SDK's version, sent as `sdk_version`. A test keeps it equal to package.json's. */
export const SDK_VERSION = "0.1.0";

/** Sent as `sdk_language` on every execution. */
export const SDK_LANGUAGE = "typescript";
