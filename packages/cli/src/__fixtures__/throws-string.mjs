// A plugin file that throws a string (not an Error) as it loads.
throw 'boom';
