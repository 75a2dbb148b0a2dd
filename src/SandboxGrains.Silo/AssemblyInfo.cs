using System.Runtime.Versioning;

// The silo talks to Docker over a unix socket and keeps its key file with unix permissions: Linux and macOS only.
[assembly: UnsupportedOSPlatform("windows")]
