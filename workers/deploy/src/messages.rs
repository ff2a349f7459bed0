//! Every line the deploy worker writes for a person: the engine's and the `Deploy` handler's progress lines in a
//! deployment's log, why a step failed, and why the handler gave up on a job. A tool's own output travels as [`lawha_domain::Message::text`]; nothing here builds a sentence.
//!
//! The words are in `locales/<lang>/deploy.ftl` beside this crate (`deploy.a_b` is the Fluent message
//! `deploy-a_b`, with exactly the arguments declared here; the test below checks both files). Durations are whole
//! milliseconds or seconds, so each language writes the number.

#[cfg(test)]
mod tests;

lawha_domain::messages! {
    /// Fetching one commit (`reference`: the commit, or the branch) begins.
    fetching = "deploy.fetching"(repository, reference);
    /// The commit that was fetched and checked out.
    fetched = "deploy.fetched"(commit);
    /// The build command begins.
    building = "deploy.building"(command);
    /// The build command succeeded.
    built = "deploy.built"(duration_ms);
    /// A Docker image is being built.
    image_building = "deploy.image_building"(image);
    /// A release starts on a colour.
    app_starting = "deploy.app_starting"(colour, port);
    /// A colour is being stopped: asked to end, then killed after `seconds`.
    app_stopping = "deploy.app_stopping"(colour, seconds);
    /// A colour ended when asked.
    app_stopped = "deploy.app_stopped"(colour);
    /// A colour did not end within its grace period and was killed.
    app_killed = "deploy.app_killed"(colour, seconds);
    /// The health gate begins.
    health_checking = "deploy.health_checking"(url, count);
    /// The health gate passed.
    health_passed = "deploy.health_passed"(url, count, duration_ms);
    /// The switch begins.
    switching = "deploy.switching"(port);
    /// nginx was reloaded with the new upstream.
    switched = "deploy.switched"(port, duration_ms);
    /// The switch failed and the previous upstream was put back.
    switch_restored = "deploy.switch_restored"(file);
    /// A release folder was removed by pruning.
    release_pruned = "deploy.release_pruned"(path);

    /// A command ended in failure; `output` holds its last lines.
    command_failed = "deploy.command_failed"(command, status, output);
    /// A command ended in failure without writing anything.
    command_failed_no_output = "deploy.command_failed_no_output"(command, status);
    /// A command ran past its time limit and was killed with everything it started.
    command_timed_out = "deploy.command_timed_out"(command, seconds, output);
    /// The same, for a command that wrote nothing.
    command_timed_out_no_output = "deploy.command_timed_out_no_output"(command, seconds);
    /// How a command ended: its exit status.
    exit_status = "deploy.exit_status"(code);
    /// How a command ended: killed by a signal.
    killed_by_signal = "deploy.killed_by_signal"(signal);
    /// A program that is not installed; `package` is the Debian package that provides it.
    missing_tool = "deploy.missing_tool"(program, package);
    /// A program that could not be started for another reason (the system's words).
    spawn_failed = "deploy.spawn_failed"(program, reason);
    /// A file-system operation failed; `action` is `create`, `read`, `write`, `rename`, `remove` or `open`.
    io_failed = "deploy.io_failed"(action, path, reason);
    /// A name that cannot be a folder's name; `what` is `site`, `release` or `colour`.
    name_invalid = "deploy.name_invalid"(what, name);
    /// A commit that is not 40 hexadecimal digits.
    commit_invalid = "deploy.commit_invalid"(commit);
    /// A branch name git would read as something else.
    branch_invalid = "deploy.branch_invalid"(branch);
    /// The folder a commit is fetched into is not empty.
    folder_not_empty = "deploy.folder_not_empty"(path);
    /// git checked out another commit than the one asked for.
    commit_mismatch = "deploy.commit_mismatch"(requested, fetched);
    /// The health gate's time ran out; the last answer was an HTTP status.
    unhealthy_status = "deploy.unhealthy_status"(url, count, seconds, status);
    /// The health gate's time ran out; the last attempt got no answer.
    unhealthy_error = "deploy.unhealthy_error"(url, count, seconds, reason);
    /// The switch failed; the previous upstream was put back, nginx serves what it served.
    switch_failed = "deploy.switch_failed"(port, reason);
    /// The switch failed, and putting the previous upstream back failed too.
    switch_failed_unrestored = "deploy.switch_failed_unrestored"(port, reason, restore_reason);
    /// An upstream file that is not one `server 127.0.0.1:<port>;` line.
    upstream_unreadable = "deploy.upstream_unreadable"(path, content);
    /// A colour still runs after it was killed.
    still_running = "deploy.still_running"(colour);
    /// A release folder that exists already.
    release_exists = "deploy.release_exists"(path);
    /// The index of a site's releases does not decode.
    release_index_invalid = "deploy.release_index_invalid"(path, reason);

    /// The handler waits for an earlier deployment of the same site to end (said once per deployment waited for).
    waiting_for_deployment = "deploy.waiting_for_deployment"(deployment);
    /// A redelivered job whose deployment has ended already (`status`: `succeeded` or `failed`).
    already_ended = "deploy.already_ended"(status);
    /// A job that resumes a deployment an earlier attempt left at `step`.
    resuming = "deploy.resuming"(step);
    /// The folder of the release an interrupted attempt left was removed, to fetch again.
    release_replaced = "deploy.release_replaced"(path);
    /// The site has no build command.
    no_build_command = "deploy.no_build_command";
    /// A rollback serves a kept release again.
    rolling_back = "deploy.rolling_back"(release);
    /// The old colour keeps running for its in-flight requests.
    draining = "deploy.draining"(colour, seconds);
    /// Stopping a colour failed (logged; the deployment's outcome does not change).
    stop_failed = "deploy.stop_failed"(colour, reason);
    /// Pruning old releases failed (logged; the deployment succeeded).
    prune_failed = "deploy.prune_failed"(reason);
    /// The deployment succeeded: `colour` serves the new release.
    succeeded = "deploy.succeeded"(colour);
    /// The deployment failed at `step` (`fetch`, `build`, `start`, `health`, `switch`, `drain`).
    failed = "deploy.failed"(step, reason);

    /// The deployment's site was deleted.
    site_deleted = "deploy.site_deleted"(site);
    /// The deployment's site does not exist.
    site_missing = "deploy.site_missing"(site);
    /// The job's deployment was never requested.
    deployment_missing = "deploy.deployment_missing"(deployment);
    /// The job's payload lacks an id.
    payload_missing = "deploy.payload_missing"(name);
    /// A secret of the site is no longer in the secrets table (`what`: `deploy_key` or `env_values`).
    secret_forgotten = "deploy.secret_forgotten"(what);
    /// A secret of the site does not open (another secret key, a damaged value).
    secret_unopenable = "deploy.secret_unopenable"(what, reason);
    /// A secret of the site that is not text.
    secret_not_text = "deploy.secret_not_text"(what);
    /// The environment's values are not a JSON object of texts.
    env_values_invalid = "deploy.env_values_invalid"(reason);
    /// The environment's values lack a variable the site names.
    env_value_missing = "deploy.env_value_missing"(name);
    /// A site name that cannot name a systemd unit as it is.
    unit_name_invalid = "deploy.unit_name_invalid"(site);
    /// The release a step needs is not on disk (removed by hand, or pruned).
    release_missing = "deploy.release_missing"(path);
    /// A release that ended within moments of its start.
    app_exited = "deploy.app_exited"(colour);
    /// A stream this build cannot read.
    stream_unreadable = "deploy.stream_unreadable"(stream, reason);
    /// Reading a stream failed (the database).
    read_failed = "deploy.read_failed"(stream, reason);
    /// Reading a read model failed (the database).
    query_failed = "deploy.query_failed"(table, reason);
    /// Recording a fact failed (the database).
    record_failed = "deploy.record_failed"(fact, reason);
    /// Recording a fact kept conflicting with other writers.
    record_conflicts = "deploy.record_conflicts"(fact);
    /// The site's lock could not be taken (the database).
    lock_failed = "deploy.lock_failed"(reason);
}
