global using SandboxGrains.Client;
global using SandboxGrains.Sandboxes;
global using SandboxGrains.Testing;
global using Xunit;
