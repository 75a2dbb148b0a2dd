global using Orleans;
global using Orleans.Runtime;
global using SandboxGrains.Runners;
global using Microsoft.Extensions.DependencyInjection;
global using SandboxGrains.Docker;
global using SandboxGrains.Docker.Sandboxes;
global using SandboxGrains.Grains.Placement;
global using SandboxGrains.Sandboxes;
