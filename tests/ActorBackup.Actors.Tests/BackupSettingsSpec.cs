using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Hosting;
using Akka.Configuration;

namespace ActorBackup.Actors.Tests;

/// <summary>The defaults of hocon/actorbackup.conf as BackupSettings reads them, and the errors for bad values.</summary>
public sealed class BackupSettingsSpec
{
    private static BackupSettings With(string hocon) =>
        BackupSettings.From(ConfigurationFactory.ParseString(hocon).WithFallback(BackupSystem.LoadConfig(null)));

    [Fact]
    public void Defaults_come_from_the_embedded_reference_configuration()
    {
        var settings = BackupSettings.From(BackupSystem.LoadConfig(null));

        Assert.Equal(Environment.ProcessorCount, settings.Hashers); // hashers = 0: one per core
        Assert.Equal(2, settings.Walkers);
        Assert.Equal(2, settings.Copiers);
        Assert.Equal(128, settings.HashBatchFiles);
        Assert.Equal(32L * 1024 * 1024, settings.HashBatchBytes);
        Assert.Equal(2, settings.BatchesPerHasher);
        Assert.Equal(2_000, settings.MaxQueuedFiles);
        Assert.Equal(1024 * 1024, settings.ReadBuffer);
        Assert.Equal(2, settings.ReadRetries);
        Assert.Equal(65_000, settings.MaxLinksPerEntry);
        Assert.True(settings.Fsync);
        Assert.True(settings.CopyFirst);
        Assert.True(settings.DirectWrites);
        Assert.Equal(64L * 1024 * 1024, settings.HeapBudget);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.ProgressInterval);
        Assert.Equal(5, settings.StorePriority);
        Assert.Equal(0, settings.LinkWorkers);
    }

    [Fact]
    public void A_negative_heap_budget_is_refused_with_a_line_naming_the_key()
    {
        var e = Assert.Throws<ActorBackup.Core.UserError>(() => With("actorbackup.heap-budget = -1"));
        Assert.Contains("actorbackup.heap-budget", e.Message);
    }

    [Fact]
    public void Copy_first_direct_writes_and_heap_budget_can_be_turned_off()
    {
        var settings = With("actorbackup.copy-first = off\nactorbackup.direct-writes = off\nactorbackup.heap-budget = 0");
        Assert.False(settings.CopyFirst);
        Assert.False(settings.DirectWrites);
        Assert.Equal(0, settings.HeapBudget);
    }

    [Fact]
    public void An_explicit_hasher_count_is_taken_as_given()
    {
        Assert.Equal(3, With("actorbackup.hashers = 3").Hashers);
    }

    [Fact]
    public void Sizes_and_durations_accept_HOCON_units()
    {
        var settings = With("actorbackup { hash-batch-bytes = 4MiB, read-buffer = 64KiB, progress-interval = 250ms, fsync = off }");

        Assert.Equal(4L * 1024 * 1024, settings.HashBatchBytes);
        Assert.Equal(64 * 1024, settings.ReadBuffer);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.ProgressInterval);
        Assert.False(settings.Fsync);
    }

    [Theory]
    [InlineData("actorbackup.hashers = -1", "actorbackup.hashers")]
    [InlineData("actorbackup.walkers = 0", "actorbackup.walkers")]
    [InlineData("actorbackup.copiers = 0", "actorbackup.copiers")]
    [InlineData("actorbackup.hash-batch-files = 0", "actorbackup.hash-batch-files")]
    [InlineData("actorbackup.hash-batch-bytes = 0", "actorbackup.hash-batch-bytes")]
    [InlineData("actorbackup.batches-per-hasher = 0", "actorbackup.batches-per-hasher")]
    [InlineData("actorbackup.max-queued-files = 0", "actorbackup.max-queued-files")]
    [InlineData("actorbackup.read-buffer = 1KiB", "actorbackup.read-buffer")]
    [InlineData("actorbackup.read-retries = -1", "actorbackup.read-retries")]
    [InlineData("actorbackup.max-links-per-entry = 1", "actorbackup.max-links-per-entry")]
    [InlineData("actorbackup.store-priority = -1", "actorbackup.store-priority")]
    [InlineData("actorbackup.store-priority = 20", "actorbackup.store-priority")]
    public void An_out_of_range_value_is_a_usage_error_naming_the_key(string hocon, string key)
    {
        var e = Assert.Throws<UserError>(() => With(hocon));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains($"configuration key {key} ", e.Message);
        Assert.Contains("--config", e.Message);
    }

    [Theory]
    [InlineData("actorbackup.walkers = many", "actorbackup.walkers")]
    [InlineData("actorbackup.read-buffer = big", "actorbackup.read-buffer")]
    [InlineData("actorbackup.fsync = perhaps", "actorbackup.fsync")]
    public void A_value_of_the_wrong_kind_is_a_usage_error_naming_the_key(string hocon, string key)
    {
        var e = Assert.ThrowsAny<Exception>(() => With(hocon));

        Assert.True(e is UserError { Code: ExitCode.Usage } && e.Message.Contains(key),
            $"expected a usage error naming {key}, got {e.GetType().Name}: {e.Message}");
    }

    [Fact]
    public void A_config_file_overrides_single_keys_and_keeps_the_other_defaults()
    {
        using var dir = new TempDir();
        var file = dir.Write("site.conf", "actorbackup.walkers = 5\nactorbackup.fsync = off\n");

        var settings = BackupSettings.From(BackupSystem.LoadConfig(file));

        Assert.Equal(5, settings.Walkers);
        Assert.False(settings.Fsync);
        Assert.Equal(2, settings.Copiers);
        Assert.Equal(65_000, settings.MaxLinksPerEntry);
    }

    [Fact]
    public void A_missing_config_file_is_a_usage_error_naming_it()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<UserError>(() => BackupSystem.LoadConfig(dir["nope.conf"]));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains(dir["nope.conf"], e.Message);
    }

    [Fact]
    public void A_config_file_that_does_not_parse_is_a_usage_error_naming_it()
    {
        using var dir = new TempDir();
        var file = dir.Write("broken.conf", "actorbackup.walkers = ${undefined-key}\n");

        var e = Assert.Throws<UserError>(() => BackupSystem.LoadConfig(file));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public async Task Create_sizes_the_dedicated_dispatchers_from_the_settings()
    {
        var config = BackupSystem.LoadConfig(null);
        var settings = BackupSettings.From(config) with { Hashers = 3, Walkers = 1, Copiers = 4, LinkWorkers = 2 };

        using var system = BackupSystem.Create(config, settings);
        try
        {
            Assert.Equal(3, system.Settings.Config.GetInt("actorbackup.dispatchers.hash.dedicated-thread-pool.thread-count"));
            Assert.Equal(7, system.Settings.Config.GetInt("actorbackup.dispatchers.io.dedicated-thread-pool.thread-count"));
            Assert.Equal("local", system.Settings.Config.GetString("akka.actor.provider"));
        }
        finally
        {
            await system.Terminate();
        }
    }
}
