# Usage errors exit 2 with a message naming the problem, before any data is read (the --data
# directory here does not even exist), and write nothing.
check() { # check "expected message" ARGS...
    local want="$1"; shift
    run tide-split "$@"
    assert_exit 2
    assert_stderr_has "tide-split: usage error: $want"
    assert_no_file out
    assert_no_tmp .
}
check "--data, --out and --method are required"
check "--data, --out and --method are required" --data nope --method leave-last
check "--method must be leave-last or time, got 'random'" --data nope --out out --method random
check "--cut, --valid-cut, --test-fraction and --valid-fraction belong to --method time" --data nope --out out --method leave-last --cut 100
check "--test and --valid belong to --method leave-last" --data nope --out out --method time --test 1
check "give either --cut or --test-fraction, not both" --data nope --out out --method time --cut 100 --test-fraction 0.1
check "give either --valid-cut or --valid-fraction, not both" --data nope --out out --method time --valid-cut 10 --valid-fraction 0.1
check "--test must be at least 1" --data nope --out out --method leave-last --test -1
check "--test must be at least 1" --data nope --out out --method leave-last --test 0
check "--valid must be 0 or more" --data nope --out out --method leave-last --valid -2
check "--test expects an integer, got 'abc'" --data nope --out out --method leave-last --test abc
check "--cut expects epoch seconds or an ISO-8601 date/time, got 'tomorrow'" --data nope --out out --method time --cut tomorrow
check "--cut expects epoch seconds or an ISO-8601 date/time, got '2018-02-30'" --data nope --out out --method time --cut 2018-02-30
check "--test-fraction must be between 0 and 1" --data nope --out out --method time --test-fraction 1.5
check "--test-fraction must be between 0 and 1" --data nope --out out --method time --test-fraction -0.1
check "--valid-fraction must be between 0 and 1" --data nope --out out --method time --valid-fraction 0
check "--test-fraction plus --valid-fraction must be below 1" --data nope --out out --method time --test-fraction 0.5 --valid-fraction 0.5
check "--valid-cut must be earlier than --cut" --data nope --out out --method time --cut 2018-01-01 --valid-cut 2018-02-01
check "unknown option '--folds'" --data nope --out out --method time --folds 5
check "unexpected argument 'extra'" --data nope --out out --method time extra
mkdir same
check "--out must not be --data or a directory containing it" --data same --out same --method leave-last
check "--out must not be --data or a directory containing it" --data same --out ./same/ --method leave-last
mkdir -p split/train
check "--out must not be --data or a directory containing it" --data split/train --out split --method leave-last
assert_file split/train
