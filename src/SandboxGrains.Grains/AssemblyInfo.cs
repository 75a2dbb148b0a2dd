using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("SandboxGrains.Grains.Tests")]
