global using Microsoft.Extensions.Options;
global using Orleans;
global using SandboxGrains.Runners;
global using Microsoft.AspNetCore.Http.HttpResults;
global using SandboxGrains.Sandboxes;
global using SandboxGrains.WarmPools;
