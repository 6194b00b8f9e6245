// A plugin file that throws an Error of two lines as it loads (a usage error is still printed on one line).
throw new Error('first line\n  second line');
