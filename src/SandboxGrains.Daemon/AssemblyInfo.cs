using System.Runtime.Versioning;

// sandboxd runs inside Linux containers only.
[assembly: SupportedOSPlatform("linux")]
