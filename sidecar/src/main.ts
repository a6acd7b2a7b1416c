// placeholder replaced by the sidecar's entry point
export {};
