# The messages of the deploy worker (lawha-deploy-worker), English: the engine's progress lines in a deployment's
# log and why a step failed. Same rules as domain.ftl; `deploy-colour-name` puts a colour into words for the
# messages that reference it.

deploy-colour-name = { $colour ->
        [blue] blue
        [green] green
       *[other] { $colour }
    }

deploy-fetching = fetching { $reference } from { $repository }
deploy-fetched = checked out commit { $commit }
deploy-building = building: { $command }
deploy-built = the build succeeded in { $duration_ms } ms
deploy-image_building = building the Docker image { $image }
deploy-app_starting = starting the release on { deploy-colour-name } (port { $port })
deploy-app_stopping = stopping { deploy-colour-name } (killed if it still runs after { $seconds } s)
deploy-app_stopped = { deploy-colour-name } stopped
deploy-app_killed = { deploy-colour-name } did not stop within { $seconds } s and was killed
deploy-health_checking = waiting for { $count } answers 200 in a row from { $url }
deploy-health_passed = { $url } answered 200 { $count } times in a row after { $duration_ms } ms
deploy-switching = switching nginx to port { $port }
deploy-switched = nginx sends requests to port { $port } (switched in { $duration_ms } ms)
deploy-switch_restored = the previous { $file } was put back
deploy-release_pruned = removed the old release { $path }

deploy-command_failed = { $command } failed ({ $status }): { $output }
deploy-command_failed_no_output = { $command } failed ({ $status }) without writing anything
deploy-command_timed_out = { $command } did not finish within { $seconds } s and was stopped with everything it had started: { $output }
deploy-command_timed_out_no_output = { $command } did not finish within { $seconds } s and was stopped with everything it had started
deploy-exit_status = exit status { $code }
deploy-killed_by_signal = killed by signal { $signal }
deploy-missing_tool = { $program } is not installed (Debian package { $package })
deploy-spawn_failed = { $program } could not be started: { $reason }
deploy-io_failed = { $action ->
        [create] creating
        [read] reading
        [write] writing
        [rename] renaming
        [remove] removing
        [open] opening
       *[other] { $action }
    } { $path }: { $reason }
deploy-name_invalid = { $what ->
        [site] the site name
        [release] the release name
        [colour] the colour
       *[other] { $what }
    } { $name } cannot name a folder
deploy-commit_invalid = { $commit } is not a commit (40 hexadecimal digits)
deploy-branch_invalid = { $branch } is not a branch name git can fetch
deploy-folder_not_empty = { $path } is not empty: a commit is fetched into a new folder
deploy-commit_mismatch = commit { $requested } was asked for, but git checked out { $fetched }
deploy-unhealthy_status = { $url } did not answer 200 { $count } times in a row within { $seconds } s; its last answer was { $status }
deploy-unhealthy_error = { $url } did not answer 200 { $count } times in a row within { $seconds } s; the last attempt failed: { $reason }
deploy-switch_failed = switching nginx to port { $port } failed and the previous upstream was put back: { $reason }
deploy-switch_failed_unrestored = switching nginx to port { $port } failed: { $reason }; putting the previous upstream back failed too: { $restore_reason }
deploy-upstream_unreadable = { $path } is not one line "server 127.0.0.1:PORT;": { $content }
deploy-still_running = { deploy-colour-name } still runs after it was killed
deploy-release_exists = the release folder { $path } exists already
deploy-release_index_invalid = the list of releases { $path } cannot be read: { $reason }

deploy-step-name = { $step ->
        [fetch] fetch
        [build] build
        [start] start
        [health] health check
        [switch] switch
        [drain] drain
       *[other] { $step }
    }
deploy-secret-name = { $what ->
        [deploy_key] deploy key
        [env_values] environment values
       *[other] { $what }
    }

deploy-waiting_for_deployment = waiting for the earlier deployment { $deployment } of this site to end
deploy-already_ended = this deployment has ended already ({ $status }): nothing to do
deploy-resuming = resuming the deployment at its { deploy-step-name } step
deploy-release_replaced = removed { $path }, which an interrupted attempt left, to fetch again
deploy-no_build_command = the site has no build command: nothing to build
deploy-rolling_back = rolling back to the release { $release }: nothing is fetched or built
deploy-draining = { deploy-colour-name } keeps serving the requests it holds for { $seconds } s
deploy-stop_failed = stopping { deploy-colour-name } failed: { $reason }
deploy-prune_failed = removing old releases failed: { $reason }
deploy-succeeded = the deployment succeeded: { deploy-colour-name } serves the new release
deploy-failed = the deployment failed at its { deploy-step-name } step: { $reason }

deploy-site_deleted = the site { $site } was deleted
deploy-site_missing = the site { $site } does not exist
deploy-deployment_missing = the deployment { $deployment } was never requested
deploy-payload_missing = the job has no valid { $name }
deploy-secret_forgotten = the site's { deploy-secret-name } is no longer kept: save the site again with it
deploy-secret_unopenable = the site's { deploy-secret-name } cannot be opened: { $reason }
deploy-secret_not_text = the site's { deploy-secret-name } is not text
deploy-env_values_invalid = the environment values are not an object of texts: { $reason }
deploy-env_value_missing = the environment values lack { $name }: save the site again with it
deploy-unit_name_invalid = the site name { $site } cannot name a systemd unit: use letters, digits, dots, underscores and dashes
deploy-release_missing = the release folder { $path } is not there any more
deploy-app_exited = the release on { deploy-colour-name } ended right after it started; its output is in the log tail
deploy-stream_unreadable = { $stream } cannot be read by this version: { $reason }
deploy-read_failed = reading { $stream } failed: { $reason }
deploy-query_failed = reading the { $table } table failed: { $reason }
deploy-record_failed = recording { $fact } failed: { $reason }
deploy-record_conflicts = recording { $fact } kept conflicting with other writers
deploy-lock_failed = taking the site's lock failed: { $reason }
