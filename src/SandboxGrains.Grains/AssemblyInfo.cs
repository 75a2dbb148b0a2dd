using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("SandboxGrains.Grains.Tests")]
[assembly: InternalsVisibleTo("SandboxGrains.Silo")]
